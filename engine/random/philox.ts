/**
 * Philox4x32-10 (Salmon, Moraes, Dror, Shaw — "Parallel random numbers: as easy as 1, 2, 3",
 * SC11), the counter-based generator behind cuRAND's and JAX's default streams.
 *
 * Counter-based means block i of a stream is a pure function of (key, counter = i): no
 * state to carry, any slice computable on its own, and only 32-bit integer arithmetic, so
 * every JavaScript engine on every platform gives the same words. Verified against the
 * Random123 known-answer vectors in test/random.
 */

const M0 = 0xd2511f53;
const M1 = 0xcd9e8d57;
const W0 = 0x9e3779b9;
const W1 = 0xbb67ae85;

const M0_LO = M0 & 0xffff;
const M0_HI = M0 >>> 16;
const M1_LO = M1 & 0xffff;
const M1_HI = M1 >>> 16;

/** High 32 bits of the 64-bit product of uint32 a and a multiplier given as 16-bit halves. */
function mulhi(a: number, mLo: number, mHi: number): number {
  const aLo = a & 0xffff;
  const aHi = a >>> 16;
  const lolo = aLo * mLo;
  const lohi = aLo * mHi;
  const hilo = aHi * mLo;
  const carry = ((lolo >>> 16) + (lohi & 0xffff) + (hilo & 0xffff)) >>> 16;
  return (aHi * mHi + (lohi >>> 16) + (hilo >>> 16) + carry) >>> 0;
}

/**
 * One Philox4x32-10 block: four counter words and two key words (uint32 each) to four
 * output words, written into `out`.
 */
export function philox4x32(
  c0: number,
  c1: number,
  c2: number,
  c3: number,
  k0: number,
  k1: number,
  out: Uint32Array = new Uint32Array(4),
): Uint32Array {
  let x0 = c0 >>> 0;
  let x1 = c1 >>> 0;
  let x2 = c2 >>> 0;
  let x3 = c3 >>> 0;
  let key0 = k0 >>> 0;
  let key1 = k1 >>> 0;
  for (let round = 0; round < 10; round++) {
    if (round > 0) {
      key0 = (key0 + W0) >>> 0;
      key1 = (key1 + W1) >>> 0;
    }
    const hi0 = mulhi(x0, M0_LO, M0_HI);
    const lo0 = Math.imul(x0, M0) >>> 0;
    const hi1 = mulhi(x2, M1_LO, M1_HI);
    const lo1 = Math.imul(x2, M1) >>> 0;
    x0 = (hi1 ^ x1 ^ key0) >>> 0;
    x1 = lo1;
    x2 = (hi0 ^ x3 ^ key1) >>> 0;
    x3 = lo0;
  }
  out[0] = x0;
  out[1] = x1;
  out[2] = x2;
  out[3] = x3;
  return out;
}
