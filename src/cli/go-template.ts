/**
 * The part of Go's text/template that `docker ... --format` users write: {{.Field}}, {{.A.B}}, {{.}},
 * methods with arguments ({{.Label "key"}}), Docker's template functions (json, upper, lower, title,
 * join, split, truncate, pad, index) with arguments or through a pipeline ({{.Name | upper}}), and the
 * \t / \n escapes. `table TEMPLATE` prints a header row first and aligns the columns as Docker's
 * tabwriter does. Control actions ({{if}}, {{range}}) are not supported: an error says so.
 */
import { TscError } from '../errors.js';

type Fn = (...args: unknown[]) => unknown;

const str = (v: unknown): string => (typeof v === 'string' ? v : goText(v));

/** Docker's templates.basicFunctions. */
const FUNCS: Record<string, Fn> = {
  json: (v) => JSON.stringify(v ?? null),
  upper: (v) => str(v).toUpperCase(),
  lower: (v) => str(v).toLowerCase(),
  title: (v) => str(v).replace(/(^|[^\p{L}\p{N}])(\p{L})/gu, (_m, a: string, b: string) => a + b.toUpperCase()),
  join: (v, sep) => (Array.isArray(v) ? v.map(str).join(str(sep)) : str(v)),
  split: (v, sep) => str(v).split(str(sep)),
  truncate: (v, n) => [...str(v)].slice(0, Number(n)).join(''),
  pad: (v, l, r) => `${' '.repeat(Number(l))}${str(v)}${' '.repeat(Number(r))}`,
  index: (v, k) => (Array.isArray(v) ? v[Number(k)] : typeof v === 'object' && v !== null ? (v as Record<string, unknown>)[str(k)] : undefined),
};

/**
 * How Go's fmt prints a value: nil as <no value>, slices as [a b], an object as a map (map[k:v], keys
 * sorted), or, inside a slice, as a struct ({v1 v2}: Publishers and the like).
 */
function goText(v: unknown, inSlice = false): string {
  if (v === undefined || v === null) return '<no value>';
  if (Array.isArray(v)) return `[${v.map((x) => goText(x, true)).join(' ')}]`;
  if (typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>);
    if (inSlice) return `{${entries.map(([, x]) => goText(x)).join(' ')}}`;
    return `map[${entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, x]) => `${k}:${goText(x)}`).join(' ')}]`;
  }
  return String(v);
}

type Token = { kind: 'field'; path: string[] } | { kind: 'ident'; name: string } | { kind: 'lit'; value: unknown } | { kind: 'pipe' };

function tokenize(action: string, whole: string): Token[] {
  const out: Token[] = [];
  const re = /\s*(?:(\|)|(\.(?:[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)?)|("(?:[^"\\]|\\.)*")|(`[^`]*`)|(-?\d+(?:\.\d+)?)|([A-Za-z_]\w*))\s*/y;
  let pos = 0;
  while (pos < action.length) {
    re.lastIndex = pos;
    const m = re.exec(action);
    if (!m || m[0] === '') throw templateError(whole, `unexpected "${action.slice(pos).trim()}" in action`);
    pos = re.lastIndex;
    if (m[1]) out.push({ kind: 'pipe' });
    else if (m[2]) out.push({ kind: 'field', path: m[2].split('.').filter(Boolean) });
    else if (m[3]) out.push({ kind: 'lit', value: JSON.parse(m[3]) as string });
    else if (m[4]) out.push({ kind: 'lit', value: m[4].slice(1, -1) });
    else if (m[5]) out.push({ kind: 'lit', value: Number(m[5]) });
    else if (m[6]) out.push({ kind: 'ident', name: m[6] });
  }
  return out;
}

function templateError(tpl: string, why: string): TscError {
  return new TscError('USAGE', `template parsing error: ${why} (in "${tpl}")`);
}

/** Field lookup: a function value is a method, called with the command's arguments. */
function field(obj: unknown, path: string[], args: unknown[]): unknown {
  let v: unknown = obj;
  for (const p of path) v = typeof v === 'object' && v !== null ? (v as Record<string, unknown>)[p] : undefined;
  return typeof v === 'function' ? (v as Fn)(...args) : v;
}

/** One {{action}}: commands separated by |, each one's value the last argument of the next. */
function evalAction(action: string, obj: unknown, funcs: Record<string, Fn>, whole: string): unknown {
  const tokens = tokenize(action, whole);
  const commands: Token[][] = [[]];
  for (const t of tokens) {
    if (t.kind === 'pipe') commands.push([]);
    else commands[commands.length - 1]?.push(t);
  }
  let piped: unknown[] = [];
  for (const cmd of commands) {
    const [head, ...rest] = cmd;
    if (!head) throw templateError(whole, 'missing value for command');
    const args = [...rest.map((t) => arg(t, obj, whole)), ...piped];
    let v: unknown;
    if (head.kind === 'ident') {
      const fn = funcs[head.name];
      if (!fn) throw templateError(whole, `function "${head.name}" not defined`);
      v = fn(...args);
    } else if (head.kind === 'field') v = field(obj, head.path, args);
    else if (head.kind === 'lit' && args.length === 0) v = head.value;
    else throw templateError(whole, 'can\'t give an argument to a non-function');
    piped = [v];
  }
  return piped[0];
}

function arg(t: Token, obj: unknown, whole: string): unknown {
  if (t.kind === 'lit') return t.value;
  if (t.kind === 'field') return field(obj, t.path, []);
  throw templateError(whole, `a function (${t.kind === 'ident' ? t.name : '|'}) as an argument needs parentheses, which are not supported`);
}

const unescape = (tpl: string): string => tpl.replace(/\\t/g, '\t').replace(/\\n/g, '\n');

function render(tpl: string, obj: unknown, funcs: Record<string, Fn>): string {
  const text = unescape(tpl);
  return text.replace(/\{\{-?\s*(.*?)\s*-?\}\}/gs, (_m, action: string) => {
    if (/^(if|else|end|range|with|define|template|block)\b/.test(action)) throw templateError(tpl, `{{${action}}} is not supported`);
    return goText(evalAction(action, obj, funcs, tpl));
  });
}

/** One object through the template. */
export function renderTemplate(tpl: string, obj: Record<string, unknown>): string {
  return render(tpl, obj, FUNCS);
}

/** A field's column title: the verb's own (Docker's "CONTAINER ID", "CREATED"...), else its words in capitals. */
const headerOf = (headers: Readonly<Record<string, string>>, f: string): string => headers[f] ?? f.replace(/([a-z])([A-Z])/g, '$1 $2').toUpperCase();

/** As Docker's HeaderFunctions: in the header row every function hands its value through. */
const HEADER_FUNCS: Record<string, Fn> = Object.fromEntries(Object.keys(FUNCS).map((k) => [k, (v: unknown) => v]));

/**
 * Go's text/tabwriter as Docker's tables use it (minwidth 10, padding 3, padded with spaces): every
 * tab-terminated cell is padded to its column's width; the text after a line's last tab is not.
 * Trailing blanks are dropped.
 */
export function alignColumns(lines: readonly string[], minWidth = 10, padding = 3): string[] {
  const rows = lines.map((l) => l.split('\t'));
  const widths: number[] = [];
  for (const cells of rows) {
    for (let i = 0; i < cells.length - 1; i++) widths[i] = Math.max(widths[i] ?? minWidth, [...(cells[i] ?? '')].length + padding);
  }
  return rows.map((cells) => cells.map((c, i) => (i === cells.length - 1 ? c : c + ' '.repeat((widths[i] ?? 0) - [...c].length))).join('').trimEnd());
}

/**
 * Rows through `format`, each line ending in a newline. "table TEMPLATE" adds a header line (field names
 * through `headers`, as Docker's header map) and aligns the columns.
 */
export function renderRows(format: string, rows: readonly Record<string, unknown>[], headers: Readonly<Record<string, string>> = {}): string {
  const table = /^table(\s+|$)/.exec(format);
  const tpl = table ? format.slice(table[0].length).trim() : format;
  const lines = rows.map((r) => render(tpl, r, FUNCS));
  if (!table) return lines.map((l) => `${l}\n`).join('');
  const head = new Proxy({}, { get: (_t, k) => (typeof k === 'string' ? headerOf(headers, k) : undefined) });
  const all = [render(tpl, head, HEADER_FUNCS), ...lines].join('\n').split('\n');
  return alignColumns(all).map((l) => `${l}\n`).join('');
}
