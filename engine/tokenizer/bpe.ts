/**
 * Byte-pair encoding with merge ranks, CLIP flavour: the last symbol of a chunk carries the end-of-word
 * marker `</w>`, then the adjacent pair with the lowest rank (earliest line of merges.txt) is merged —
 * every non-overlapping occurrence, left to right — until no adjacent pair has a rank.
 * Results are cached per chunk: prompts repeat the same words constantly.
 */

export const END_OF_WORD = '</w>';

/** One merge rule, e.g. `['t', 'h']`; its rank is its position in the list. */
export type MergeRule = readonly [string, string];

export interface BpeOptions {
  /** Entries kept in the per-chunk cache before it is emptied (default 50 000). */
  cacheLimit?: number;
}

export class BytePairEncoder {
  private readonly ranks = new Map<string, number>();
  private readonly cache = new Map<string, readonly string[]>();
  private readonly cacheLimit: number;

  /** `merges[i]` gets rank i; a rule listed twice keeps its last rank (as Python's dict(zip(...)) does). */
  constructor(merges: readonly MergeRule[], options: BpeOptions = {}) {
    merges.forEach(([a, b], rank) => this.ranks.set(pairKey(a, b), rank));
    this.cacheLimit = Math.max(0, options.cacheLimit ?? 50_000);
  }

  /** Number of distinct merge rules. */
  get mergeCount(): number {
    return this.ranks.size;
  }

  /** Rank of the pair (lower merges first), or undefined when the pair never merges. */
  rank(a: string, b: string): number | undefined {
    return this.ranks.get(pairKey(a, b));
  }

  /**
   * BPE pieces of one pre-token chunk already written in byte-level symbols (see `toByteSymbols`).
   * The last piece ends with `</w>`. The returned array is shared with the cache: do not mutate it.
   */
  encode(chunk: string): readonly string[] {
    const cached = this.cache.get(chunk);
    if (cached) return cached;
    const pieces = this.merge(chunk);
    if (this.cache.size >= this.cacheLimit) this.cache.clear();
    if (this.cacheLimit > 0) this.cache.set(chunk, pieces);
    return pieces;
  }

  /** Drops all cached chunks. */
  clearCache(): void {
    this.cache.clear();
  }

  private merge(chunk: string): string[] {
    const chars = Array.from(chunk);
    if (chars.length === 0) return [];
    let word = chars;
    word[word.length - 1] += END_OF_WORD;
    while (word.length > 1) {
      let best: number | undefined;
      let first = '';
      let second = '';
      for (let i = 0; i < word.length - 1; i++) {
        const r = this.ranks.get(pairKey(word[i], word[i + 1]));
        if (r !== undefined && (best === undefined || r < best)) {
          best = r;
          first = word[i];
          second = word[i + 1];
        }
      }
      if (best === undefined) break;
      const next: string[] = [];
      for (let i = 0; i < word.length; ) {
        if (i < word.length - 1 && word[i] === first && word[i + 1] === second) {
          next.push(first + second);
          i += 2;
        } else {
          next.push(word[i]);
          i += 1;
        }
      }
      word = next;
    }
    return word;
  }
}

/** Merge pieces never contain whitespace (merges.txt is split on it), so a space is a safe separator. */
function pairKey(a: string, b: string): string {
  return `${a} ${b}`;
}
