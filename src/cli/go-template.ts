/**
 * A small subset of Go's text/template as `docker ... --format` takes it: {{.Field}}, {{json .Field}},
 * {{json .}}, {{index .Labels "key"}}, and \t / \n escapes. `table TEMPLATE` prints a header row of the
 * field names in capitals first (Docker's own headers differ slightly for a few fields).
 */

/** One object through the template. */
export function renderTemplate(tpl: string, obj: Record<string, unknown>): string {
  const text = tpl.replace(/\\n/g, '\n').replace(/\\t/g, '\t');
  return text.replace(/\{\{\s*(json\s+)?(?:index\s+\.(\w+)\s+"([^"]*)"|\.(\w*))\s*\}\}/g, (_m, json: string | undefined, idxField: string | undefined, idxKey: string | undefined, field: string | undefined) => {
    let v: unknown;
    if (idxField !== undefined) {
      const m = obj[idxField];
      v = typeof m === 'object' && m !== null ? (m as Record<string, unknown>)[idxKey ?? ''] : undefined;
    } else {
      v = field === '' || field === undefined ? obj : obj[field];
    }
    if (json) return JSON.stringify(v ?? null);
    if (v === undefined || v === null) return '<no value>';
    if (typeof v === 'object') return field === 'Labels' || field === 'Options' ? `map[${Object.entries(v as Record<string, unknown>).map(([k, x]) => `${k}:${String(x)}`).join(' ')}]` : JSON.stringify(v);
    return String(v);
  });
}

/** Rows through `format` ("table TEMPLATE" adds a header line), each line ending in a newline. */
export function renderRows(format: string, rows: readonly Record<string, unknown>[]): string {
  const table = /^table\s+/.exec(format);
  const tpl = table ? format.slice(table[0].length) : format;
  const lines = rows.map((r) => renderTemplate(tpl, r));
  if (table) lines.unshift(tpl.replace(/\\t/g, '\t').replace(/\{\{\s*(?:json\s+)?\.(\w+)\s*\}\}/g, (_m, f: string) => f.replace(/([a-z])([A-Z])/g, '$1 $2').toUpperCase()));
  return lines.map((l) => `${l}\n`).join('');
}
