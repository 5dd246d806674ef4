/**
 * The variables a compose model refers to, as `docker compose config --variables` lists them: name,
 * whether `${VAR?err}` / `${VAR:?err}` makes it required, its default (`-`, `:-`) and alternate (`+`, `:+`)
 * value as written. Variables nested in a default or alternate value are listed too. Pure.
 */
import { closingBrace } from './interpolate.js';

export interface Variable {
  name: string;
  required: boolean;
  defaultValue: string;
  alternateValue: string;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*/;

function fromString(s: string, out: Map<string, Variable>, depth = 0): void {
  if (depth > 64) return;
  for (let i = s.indexOf('$'); i >= 0 && i < s.length; i = s.indexOf('$', i)) {
    const next = s[i + 1];
    if (next === '$') {
      i += 2;
      continue;
    }
    if (next === '{') {
      const end = closingBrace(s, i + 2);
      if (end < 0) return;
      const body = s.slice(i + 2, end);
      i = end + 1;
      const name = NAME.exec(body)?.[0];
      if (!name) continue;
      const rest = body.slice(name.length);
      const op = rest.startsWith(':') ? rest.slice(0, 2) : rest.slice(0, 1);
      const word = rest.slice(op.length);
      const v: Variable = { name, required: op.endsWith('?'), defaultValue: op.endsWith('-') ? word : '', alternateValue: op.endsWith('+') ? word : '' };
      const seen = out.get(name);
      // a name used several times keeps the most informative form
      if (!seen || (!seen.required && !seen.defaultValue && !seen.alternateValue)) out.set(name, v);
      if (word.includes('$')) fromString(word, out, depth + 1);
      continue;
    }
    const name = NAME.exec(s.slice(i + 1))?.[0];
    if (name && !out.has(name)) out.set(name, { name, required: false, defaultValue: '', alternateValue: '' });
    i += 1 + (name?.length ?? 0);
  }
}

/** Every variable in the string values (not keys) of `model`, sorted by name. */
export function extractVariables(model: unknown): Variable[] {
  const out = new Map<string, Variable>();
  const walk = (v: unknown): void => {
    if (typeof v === 'string') {
      if (v.includes('$')) fromString(v, out);
    } else if (Array.isArray(v)) v.forEach(walk);
    else if (v !== null && typeof v === 'object') Object.values(v).forEach(walk);
  };
  walk(model);
  return [...out.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
