/**
 * Contract between the spec stages (load -> interpolate -> validate -> merge/extends -> normalize).
 *
 * A parsed compose file keeps a way back from any key path to the place in the text it came from, so that
 * every error can say file:line:col. Paths are arrays of keys/indices as in the parsed data
 * (["services", "web", "ports", 0]).
 */
export type KeyPath = readonly (string | number)[];

export interface Position {
  file: string;
  /** 1-based */
  line: number;
  /** 1-based */
  col: number;
}

export interface SourceDoc {
  /** Absolute path of the file ("-" for stdin). */
  file: string;
  /** The parsed (and, unless disabled, interpolated) document. */
  data: unknown;
  /** Position of the value at `path`, or of its nearest existing ancestor (the file start at worst). */
  positionOf(path: KeyPath): Position;
  /** Position of the *key* at `path` (for unknown-key errors); falls back to positionOf. */
  keyPositionOf(path: KeyPath): Position;
}

export function formatPosition(p: Position): string {
  return `${p.file}:${p.line}:${p.col}`;
}

export function formatKeyPath(path: KeyPath): string {
  let out = '';
  for (const k of path) {
    if (typeof k === 'number') out += `[${k}]`;
    else out += out === '' ? k : `.${k}`;
  }
  return out === '' ? '(root)' : out;
}

/** One located finding of any spec stage. Errors fail the load (all of them reported at once). */
export interface SpecProblem {
  severity: 'error' | 'warning';
  position: Position;
  path: KeyPath;
  /** What was found and what was expected, e.g. `found string "abc", expected an integer`. */
  message: string;
}

/** "file:line:col: services.web.image: message" — the one format every spec error is printed in. */
export function formatProblem(p: SpecProblem): string {
  return `${formatPosition(p.position)}: ${formatKeyPath(p.path)}: ${p.message}`;
}
