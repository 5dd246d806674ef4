/**
 * "Did you mean ...?" for misspelled keys: the closest allowed key by edit distance (Damerau–Levenshtein,
 * optimal string alignment, so a swapped pair like `imgae` -> `image` costs 1), or none if nothing is close.
 */

/** Edit distance where insert, delete, substitute and swapping two adjacent characters each cost 1. */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[] = new Array<number>(rows * cols).fill(0);
  for (let i = 0; i < rows; i++) d[i * cols] = i;
  for (let j = 0; j < cols; j++) d[j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[(i - 1) * cols + j]! + 1, d[i * cols + j - 1]! + 1, d[(i - 1) * cols + j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[(i - 2) * cols + j - 2]! + 1);
      d[i * cols + j] = v;
    }
  }
  return d[rows * cols - 1]!;
}

/** Largest distance still worth suggesting: short words must be nearly exact, long ones may differ more. */
function tolerance(word: string): number {
  if (word.length <= 3) return 1;
  if (word.length <= 8) return 2;
  return 3;
}

/**
 * The candidate closest to `word`, or undefined when none is within tolerance. A case-only difference
 * (`Image`) or a dash/underscore mix-up (`working-dir`) always counts as closest.
 */
export function didYouMean(word: string, candidates: Iterable<string>): string | undefined {
  const canon = (s: string): string => s.toLowerCase().replace(/-/g, '_');
  let best: string | undefined;
  let bestScore = Infinity;
  for (const c of candidates) {
    if (c === word) continue;
    const score = canon(c) === canon(word) ? 0 : editDistance(word.toLowerCase(), c.toLowerCase());
    if (score < bestScore || (score === bestScore && best !== undefined && c < best)) {
      best = c;
      bestScore = score;
    }
  }
  return bestScore <= tolerance(word) ? best : undefined;
}
