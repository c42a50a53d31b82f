/**
 * mulberry32: a tiny seeded 32-bit generator of uniforms in [0, 1), for choices that must be
 * reproducible but need not match any reference stream (prompt sets, random weights, token
 * merging's destination picks). Sampling noise uses Philox (randn.ts) instead.
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
