/**
 * T5's bidirectional relative-position buckets (transformers' `_relative_position_bucket`
 * with bidirectional=True): for r = key − query, half the buckets hold r ≤ 0 and half r > 0;
 * within a half, distances below half of it get a bucket each, larger ones share
 * log-spaced buckets up to `maxDistance`, beyond which they saturate.
 */
export function relativePositionBucket(r: number, numBuckets: number, maxDistance: number): number {
  const half = numBuckets / 2;
  const base = r > 0 ? half : 0;
  const a = Math.abs(r);
  const exact = half / 2;
  if (a < exact) return base + a;
  // float32 as torch computes it: log(a / exact) / log(maxDistance / exact) · (half − exact), truncated.
  const f = Math.fround(Math.fround(Math.log(Math.fround(a / exact)) / Math.log(maxDistance / exact)) * (half - exact));
  return base + Math.min(half - 1, exact + Math.trunc(f));
}

/** The [L, L] bucket of every (query i, key j) pair: a constant for a fixed length. */
export function bucketMatrix(length: number, numBuckets: number, maxDistance: number): BigInt64Array {
  const out = new BigInt64Array(length * length);
  const byOffset = new Map<number, bigint>();
  for (let i = 0; i < length; i++) {
    for (let j = 0; j < length; j++) {
      const r = j - i;
      let b = byOffset.get(r);
      if (b === undefined) {
        b = BigInt(relativePositionBucket(r, numBuckets, maxDistance));
        byOffset.set(r, b);
      }
      out[i * length + j] = b;
    }
  }
  return out;
}
