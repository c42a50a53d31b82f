import { describe, expect, it } from 'vitest';
import {
  bf16ToF32,
  f16BitsToNumber,
  f16ToF32,
  f32ToBf16,
  f32ToF16,
  f8e4m3ToF32,
  f8e5m2ToF32,
  numberToF16Bits,
} from '../../engine/safetensors/halfFloat.ts';

describe('halfFloat', () => {
  it('decodes fp16 landmarks', () => {
    const bits = new Uint16Array([0x0000, 0x8000, 0x3c00, 0xc000, 0x7bff, 0x0001, 0x0400, 0x7c00, 0xfc00, 0x3555]);
    const f = f16ToF32(bits);
    expect(Array.from(f.slice(0, 9))).toEqual([0, -0, 1, -2, 65504, 2 ** -24, 2 ** -14, Infinity, -Infinity]);
    expect(f[9]).toBeCloseTo(0.333251953125, 12);
    expect(Number.isNaN(f16BitsToNumber(0x7e00))).toBe(true);
  });

  it('fp16 encode ∘ decode is the identity on every non-NaN bit pattern', () => {
    const wrong: number[] = [];
    for (let b = 0; b < 65536; b++) {
      const v = f16BitsToNumber(b);
      if (!Number.isNaN(v) && numberToF16Bits(v) !== b) wrong.push(b);
    }
    expect(wrong).toEqual([]);
  });

  it('rounds to nearest even, overflows to Inf, underflows to 0', () => {
    expect(numberToF16Bits(1 + 2 ** -11)).toBe(0x3c00); // tie → even (down)
    expect(numberToF16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02); // tie → even (up)
    expect(numberToF16Bits(65520)).toBe(0x7c00);
    expect(numberToF16Bits(2 ** -26)).toBe(0);
    expect(numberToF16Bits(3 * 2 ** -26)).toBe(1); // above half the smallest subnormal
    expect(Array.from(f32ToF16([0.1]))).toEqual([0x2e66]);
  });

  it('bf16 widens by shifting and rounds ties to even', () => {
    expect(Array.from(bf16ToF32(new Uint16Array([0x3f80, 0xc040, 0x7f80])))).toEqual([1, -3, Infinity]);
    expect(Array.from(f32ToBf16([1 + 2 ** -8, 1 + 3 * 2 ** -8]))).toEqual([0x3f80, 0x3f82]);
  });

  it('decodes fp8 formats', () => {
    expect(Array.from(f8e4m3ToF32(new Uint8Array([0x38, 0xb8, 0x7e, 0x01])))).toEqual([1, -1, 448, 2 ** -9]);
    expect(Number.isNaN(f8e4m3ToF32(new Uint8Array([0x7f]))[0])).toBe(true);
    expect(Array.from(f8e5m2ToF32(new Uint8Array([0x3c, 0xc0, 0x7b])))).toEqual([1, -2, 57344]);
  });
});
