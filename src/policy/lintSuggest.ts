/**
 * "Did you mean" against one fixed list of names, asked many times: the linter asks it
 * for every user that only rules name, among all the names of the document. `closest`
 * (./suggest.ts) measures the distance to every name in full, with `editDistance`
 * building new arrays for each row: at 10,000 rules, millions of distances and
 * minutes. The answers here are always `closest(input, names)`'s, found with less work:
 *
 * - `closest` answers with the first name, in list order, at the smallest distance within
 *   that name's limit. A name equal to the input but for case is at distance 0, the
 *   least there is: the first such name is the answer, found by one lookup.
 * - Otherwise the names are read in order, each measured only as far as it could still
 *   win (at most its limit, and less than the best so far), and the search stops at the
 *   first name at distance 1, which nothing later can beat.
 * - Distances are measured as `editDistance` measures them, on three reused rows of
 *   integers instead of new arrays, past the beginning and end the two names share
 *   (the property tests compare the two).
 */

import { suggestionText, typoLimit } from './suggest.js';

/** Answers `closest(input, names)` for many inputs; `names` is read once, on the first question. */
export class NameSuggestions {
  private list: readonly Candidate[] | undefined;
  /** Lower-cased name → the names that lower-case to it, in list order. */
  private readonly byLowerCase = new Map<string, string[]>();
  private readonly rows = new Rows();

  constructor(private readonly names: Iterable<string>) {}

  /** The same as `closest(input, names)` (./suggest.ts). */
  closest(input: string): string | undefined {
    const list = this.candidates();
    const lower = input.toLowerCase();
    const twin = this.byLowerCase.get(lower)?.find((name) => name !== input);
    if (twin !== undefined) return twin;
    const letters = lettersOf(lower);
    let best: string | undefined;
    let bestDistance = Number.POSITIVE_INFINITY;
    for (const candidate of list) {
      // Every other name is at least 1 away; the first at 1 is the answer.
      if (bestDistance === 1) break;
      if (candidate.lower === lower) continue;
      const limit = typoLimit(input, candidate.name);
      const max = Math.min(limit, bestDistance - 1);
      if (fewestEdits(letters, candidate.letters) > max) continue;
      const distance = this.rows.distance(lower, candidate.lower, max);
      if (distance <= max) {
        best = candidate.name;
        bestDistance = distance;
      }
    }
    return best;
  }

  /** `did you mean "x"?` or an empty string, as `didYouMean(input, names)`. */
  didYouMean(input: string): string {
    return suggestionText(this.closest(input));
  }

  private candidates(): readonly Candidate[] {
    if (this.list !== undefined) return this.list;
    const list = [...this.names].map((name): Candidate => {
      const lower = name.toLowerCase();
      return { name, lower, letters: lettersOf(lower) };
    });
    for (const { name, lower } of list) {
      const same = this.byLowerCase.get(lower);
      if (same === undefined) this.byLowerCase.set(lower, [name]);
      else same.push(name);
    }
    this.list = list;
    return list;
  }
}

interface Candidate {
  readonly name: string;
  readonly lower: string;
  /** {@link lettersOf} `lower`. */
  readonly letters: number;
}

/**
 * Which code units occur in `word`, folded into 32 bits (unit mod 32: the letters of
 * the alphabet fall on 26 different bits).
 */
function lettersOf(word: string): number {
  let bits = 0;
  for (let i = 0; i < word.length; i++) bits |= 1 << (word.charCodeAt(i) & 31);
  return bits;
}

/**
 * A lower bound of the distance between two words with these {@link lettersOf}: one
 * edit adds or removes at most two of them (a substitution), so half the letters found
 * in one word only need at least as many edits.
 */
function fewestEdits(a: number, b: number): number {
  let differ = a ^ b;
  // Bits set in `differ`, counted in parallel (the classic population count).
  differ -= (differ >>> 1) & 0x55555555;
  differ = (differ & 0x33333333) + ((differ >>> 2) & 0x33333333);
  const count = (Math.imul((differ + (differ >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24) & 0xff;
  return Math.ceil(count / 2);
}

/** The three rows of `editDistance`'s table, kept between measurements. */
class Rows {
  private twoBack = new Int32Array(64);
  private previous = new Int32Array(64);
  private current = new Int32Array(64);

  /**
   * `editDistance(a, b, max)` when that is at most `max`; otherwise some number above
   * `max`. The same table, row by row, with the same early stop once a whole row
   * exceeds `max` (no later row can be lower), over what is left of `a` and `b` once
   * their common beginning and end are set aside: those cost no edit, and the names of
   * one document share many (`@example.com`).
   */
  distance(a: string, b: string, max: number): number {
    if (Math.abs(a.length - b.length) > max) return max + 1;
    let from = 0;
    while (from < a.length && from < b.length && a.charCodeAt(from) === b.charCodeAt(from)) from++;
    let endA = a.length;
    let endB = b.length;
    while (endA > from && endB > from && a.charCodeAt(endA - 1) === b.charCodeAt(endB - 1)) {
      endA--;
      endB--;
    }
    const width = endB - from;
    if (this.previous.length <= width) this.grow(width + 1);
    let { twoBack, previous, current } = this;
    for (let j = 0; j <= width; j++) previous[j] = j;
    for (let i = 1; i <= endA - from; i++) {
      const here = a.charCodeAt(from + i - 1);
      const before = i > 1 ? a.charCodeAt(from + i - 2) : -1;
      current[0] = i;
      let rowMin = i;
      for (let j = 1; j <= width; j++) {
        const there = b.charCodeAt(from + j - 1);
        let value = previous[j - 1]! + (here === there ? 0 : 1);
        value = Math.min(value, previous[j]! + 1, current[j - 1]! + 1);
        // Two neighbouring letters swapped count as one edit.
        if (j > 1 && before === there && here === b.charCodeAt(from + j - 2)) value = Math.min(value, twoBack[j - 2]! + 1);
        current[j] = value;
        if (value < rowMin) rowMin = value;
      }
      if (rowMin > max) return max + 1;
      const reused = twoBack;
      twoBack = previous;
      previous = current;
      current = reused;
    }
    return previous[width]!;
  }

  private grow(length: number): void {
    this.twoBack = new Int32Array(length);
    this.previous = new Int32Array(length);
    this.current = new Int32Array(length);
  }
}
