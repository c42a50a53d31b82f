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

  /**
   * The merge loop on a linked list of symbols with a heap of candidate pairs ordered by
   * (rank, position): O(n log n) in the chunk's length where rescanning the whole word for
   * every merge was quadratic (a 19,000-letter word took seconds). All occurrences of one
   * rank are taken together, left to right, before any pair they create — exactly the
   * rescan's order, since merging a pair never creates another occurrence of that pair.
   */
  private merge(chunk: string): string[] {
    const symbols = Array.from(chunk);
    const n = symbols.length;
    if (n === 0) return [];
    symbols[n - 1] += END_OF_WORD;
    const next = new Int32Array(n);
    const prev = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      next[i] = i + 1 < n ? i + 1 : -1;
      prev[i] = i - 1;
    }
    const heap = new PairHeap();
    const offer = (i: number): void => {
      const j = next[i];
      if (i < 0 || j < 0) return;
      const r = this.ranks.get(pairKey(symbols[i], symbols[j]));
      if (r !== undefined) heap.push(r, i);
    };
    for (let i = 0; i + 1 < n; i++) offer(i);
    const level: number[] = [];
    while (heap.size > 0) {
      const rank = heap.topRank();
      level.length = 0;
      while (heap.size > 0 && heap.topRank() === rank) level.push(heap.pop());
      for (const i of level) {
        const j = next[i];
        // Stale entries: the left symbol was merged away or its neighbour changed since the push.
        if (j < 0 || symbols[i] === '' || this.ranks.get(pairKey(symbols[i], symbols[j])) !== rank) continue;
        symbols[i] += symbols[j];
        symbols[j] = '';
        next[i] = next[j];
        if (next[j] >= 0) prev[next[j]] = i;
      }
      for (const i of level) {
        if (symbols[i] === '') continue;
        offer(prev[i]);
        offer(i);
      }
    }
    const out: string[] = [];
    for (let i = 0; i >= 0; i = next[i]) out.push(symbols[i]);
    return out;
  }
}

/** Min-heap of (rank, position) pairs; ties in rank pop leftmost first. */
class PairHeap {
  private readonly ranks: number[] = [];
  private readonly positions: number[] = [];

  get size(): number {
    return this.ranks.length;
  }

  topRank(): number {
    return this.ranks[0];
  }

  push(rank: number, position: number): void {
    let at = this.ranks.length;
    this.ranks.push(rank);
    this.positions.push(position);
    while (at > 0) {
      const up = (at - 1) >> 1;
      if (!this.less(at, up)) break;
      this.swap(at, up);
      at = up;
    }
  }

  /** Removes the smallest entry and returns its position. */
  pop(): number {
    const top = this.positions[0];
    const last = this.ranks.length - 1;
    this.swap(0, last);
    this.ranks.pop();
    this.positions.pop();
    for (let at = 0; ;) {
      const l = 2 * at + 1;
      const r = l + 1;
      let m = at;
      if (l < last && this.less(l, m)) m = l;
      if (r < last && this.less(r, m)) m = r;
      if (m === at) break;
      this.swap(at, m);
      at = m;
    }
    return top;
  }

  private less(a: number, b: number): boolean {
    return this.ranks[a] < this.ranks[b] || (this.ranks[a] === this.ranks[b] && this.positions[a] < this.positions[b]);
  }

  private swap(a: number, b: number): void {
    [this.ranks[a], this.ranks[b]] = [this.ranks[b], this.ranks[a]];
    [this.positions[a], this.positions[b]] = [this.positions[b], this.positions[a]];
  }
}

/** Merge pieces never contain whitespace (merges.txt is split on it), so a space is a safe separator. */
function pairKey(a: string, b: string): string {
  return `${a} ${b}`;
}
