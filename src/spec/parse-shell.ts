/**
 * Splits a command string into words the way Compose does for `command:`/`entrypoint:` string forms
 * (go-shellwords, POSIX-like): blanks separate words; '...' is literal; "..." keeps blanks and honours
 * \" \\ \$ \` escapes; a backslash outside quotes escapes the next character. No variable expansion,
 * globbing or operators: `$HOME` stays literal (interpolation already happened).
 */
import type { Parsed } from './units.js';

export function splitShellWords(input: string): Parsed<string[]> {
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < input.length; i++) {
    const c = input[i] as string;
    if (quote === "'") {
      if (c === "'") quote = undefined;
      else cur += c;
    } else if (quote === '"') {
      if (c === '"') quote = undefined;
      else if (c === '\\' && i + 1 < input.length && '"\\$`\n'.includes(input[i + 1] as string)) {
        const next = input[++i] as string;
        if (next !== '\n') cur += next;
      } else cur += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
    } else if (c === '\\') {
      if (i + 1 < input.length) {
        const next = input[++i] as string;
        if (next !== '\n') {
          cur += next;
          inWord = true;
        }
      }
    } else if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (quote) return { error: `a command with balanced quotes (unterminated ${quote})` };
  if (inWord) words.push(cur);
  return { value: words };
}
