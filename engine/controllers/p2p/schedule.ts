/**
 * When the edits act. Cross-attention edits are blended per target token by α_τ, a 0/1
 * table over the N+1 "steps" the reference counts (int(f·(N+1)), so 0.8 of 50 steps is
 * steps 0..39); self-attention is replaced for int(N·s0) ≤ step < int(N·s1) — N, not N+1,
 * again as in the reference.
 */

export type StepRange = number | readonly [number, number];

const bounds = (r: StepRange): [number, number] => (typeof r === 'number' ? [0, r] : [r[0], r[1]]);

export interface TokenRange {
  readonly tokens: readonly number[];
  readonly range: StepRange;
}

/** α_τ: N+1 rows of `length` values; the default range first, then each word's own. */
export function crossReplaceAlpha(steps: number, length: number, fallback: StepRange, words: readonly TokenRange[] = []): Float32Array[] {
  const rows = Array.from({ length: steps + 1 }, () => new Float32Array(length));
  const fill = (r: StepRange, tokens: readonly number[] | null) => {
    const [s, e] = bounds(r);
    const start = Math.trunc(s * (steps + 1));
    const end = Math.trunc(e * (steps + 1));
    rows.forEach((row, k) => {
      const on = k >= start && k < end ? 1 : 0;
      if (tokens) for (const n of tokens) row[n] = on;
      else row.fill(on);
    });
  };
  fill(fallback, null);
  for (const w of words) fill(w.range, w.tokens);
  return rows;
}

/** Whether self-attention of the target follows the source's at `step`. */
export function selfReplaceActive(steps: number, range: StepRange, step: number): boolean {
  const [s, e] = bounds(range);
  return Math.trunc(steps * s) <= step && step < Math.trunc(steps * e);
}
