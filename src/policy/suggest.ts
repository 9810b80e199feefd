/**
 * "Did you mean" suggestions for misspelt keys and names.
 */

/**
 * Edit distance counting insertions, deletions, substitutions and swaps of two
 * neighbouring letters (`dve` → `dev` is one edit). Bounded: returns `max + 1` as
 * soon as the distance is known to exceed `max`.
 */
export function editDistance(a: string, b: string, max = Number.POSITIVE_INFINITY): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let twoBack: number[] = [];
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      let value = Math.min(
        (previous[j] ?? 0) + 1,
        (current[j - 1] ?? 0) + 1,
        (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        value = Math.min(value, (twoBack[j - 2] ?? 0) + 1);
      }
      current.push(value);
      rowMin = Math.min(rowMin, value);
    }
    if (rowMin > max) return max + 1;
    twoBack = previous;
    previous = current;
  }
  return previous[b.length] ?? max + 1;
}

/** The most edits that still make `candidate` a likely typo of `input`: a third of the longer word, at least 1. */
export function typoLimit(input: string, candidate: string): number {
  return Math.max(1, Math.floor(Math.max(candidate.length, input.length) / 3));
}

/** How a suggestion reads at the end of a message: ` (did you mean "x"?)`, or nothing without one. */
export function suggestionText(match: string | undefined): string {
  return match === undefined ? '' : ` (did you mean "${match}"?)`;
}

/**
 * The closest candidate to `input`, when it is close enough to be a likely typo:
 * case differences always count; otherwise at most a third of the word may differ.
 */
export function closest(input: string, candidates: Iterable<string>): string | undefined {
  const lower = input.toLowerCase();
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    if (candidate === input) continue;
    const limit = typoLimit(input, candidate);
    const distance = candidate.toLowerCase() === lower ? 0 : editDistance(lower, candidate.toLowerCase(), limit);
    if (distance <= limit && distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

/** `did you mean "x"?` or an empty string. */
export function didYouMean(input: string, candidates: Iterable<string>): string {
  return suggestionText(closest(input, candidates));
}
