/**
 * IEEE half (fp16), bfloat16 and fp8 ↔ float32 conversions.
 *
 * Node 20 has no Float16Array, so 16-bit floats travel as Uint16Array bit patterns
 * and are widened here. fp16 → fp32 goes through a 65,536-entry table (256 KiB,
 * built on first use) because checkpoint loading converts millions of values and a
 * table lookup is several times faster than bit arithmetic per element.
 */

let f16Table: Float32Array | undefined;

/** Decodes one fp16 bit pattern (exact: every fp16 value is representable in fp32). */
export function f16BitsToNumber(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exp = (bits >> 10) & 0x1f;
  const frac = bits & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24; // subnormal or zero
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

function table(): Float32Array {
  if (!f16Table) {
    f16Table = new Float32Array(65536);
    for (let i = 0; i < 65536; i++) f16Table[i] = f16BitsToNumber(i);
  }
  return f16Table;
}

export function f16ToF32(src: Uint16Array): Float32Array {
  const t = table();
  const out = new Float32Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = t[src[i]];
  return out;
}

/** bfloat16 is the top half of a float32, so widening is a 16-bit shift. */
export function bf16ToF32(src: Uint16Array): Float32Array {
  const out = new Uint32Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = src[i] << 16;
  return new Float32Array(out.buffer);
}

const scratchF32 = new Float32Array(1);
const scratchU32 = new Uint32Array(scratchF32.buffer);

/** Rounds a number to the nearest fp16 bit pattern (ties to even), as NumPy and PyTorch do. */
export function numberToF16Bits(value: number): number {
  scratchF32[0] = value;
  const x = scratchU32[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0); // Inf / NaN (quiet)
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00; // overflow → Inf
  if (e <= 0) {
    if (e < -10) return sign; // underflows to ±0
    mant |= 0x800000; // make the implicit bit explicit, then shift into subnormal range
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    const rest = mant & ((1 << shift) - 1);
    let out = mant >>> shift;
    if (rest > half || (rest === half && out & 1)) out++;
    return sign | out;
  }
  let out = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  // A carry out of the mantissa correctly bumps the exponent (and may reach Inf).
  if (rest > 0x1000 || (rest === 0x1000 && out & 1)) out++;
  return sign | out;
}

export function f32ToF16(src: ArrayLike<number>): Uint16Array {
  const out = new Uint16Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = numberToF16Bits(src[i]);
  return out;
}

/** Rounds float32 to bfloat16 (ties to even; NaN stays NaN). */
export function f32ToBf16(src: ArrayLike<number>): Uint16Array {
  const out = new Uint16Array(src.length);
  for (let i = 0; i < src.length; i++) {
    scratchF32[0] = src[i];
    const x = scratchU32[0];
    if ((x & 0x7fffffff) > 0x7f800000) {
      out[i] = (x >>> 16) | 0x40;
      continue;
    }
    out[i] = (x + 0x7fff + ((x >>> 16) & 1)) >>> 16;
  }
  return out;
}

/** FP8 E4M3 (the "fn" variant: no infinities, 0x7f/0xff are NaN), bias 7. */
export function f8e4m3ToF32(src: Uint8Array): Float32Array {
  const out = new Float32Array(src.length);
  for (let i = 0; i < src.length; i++) {
    const b = src[i];
    const sign = b & 0x80 ? -1 : 1;
    const exp = (b >> 3) & 0xf;
    const frac = b & 0x7;
    if (exp === 0xf && frac === 0x7) out[i] = NaN;
    else if (exp === 0) out[i] = sign * frac * 2 ** -9;
    else out[i] = sign * (1 + frac / 8) * 2 ** (exp - 7);
  }
  return out;
}

/** FP8 E5M2: the top byte of an fp16, so it reuses the fp16 decoder. */
export function f8e5m2ToF32(src: Uint8Array): Float32Array {
  const t = table();
  const out = new Float32Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = t[src[i] << 8];
  return out;
}
