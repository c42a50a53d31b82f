import { StudioError } from '../../api/errors.ts';

/**
 * PixArt's 2-D sin-cos position embedding for a token grid of `rows` × `cols`, computed in
 * float64 as the reference does (numpy), then rounded: [rows·cols, width], tokens row-major.
 *
 * Each axis is normalised by its own length — pos = i · baseSize / (n · scale) — so every
 * grid spans [0, baseSize/scale) on both axes and a non-square grid gets stretched
 * coordinates, not extra positions. Channels 0..width/2 encode the **column** coordinate,
 * the second half the row (the reference feeds meshgrid's width-varying output first).
 * Each half is [sin(pos·ω), cos(pos·ω)], ω_k = 10000^(−k/(width/4)). ALGORITHMS-2 §1.3.
 */
export function pixartPosEmbed(rows: number, cols: number, width: number, baseSize: number, interpolationScale: number): Float32Array {
  if (width % 4 !== 0) throw new StudioError('CHECKPOINT_UNSUPPORTED', `PixArt position embedding needs a width divisible by 4, got ${width}`);
  if (!(rows >= 1 && cols >= 1)) throw new StudioError('SHAPE_MISMATCH', `PixArt position embedding: empty token grid ${rows}×${cols}`);
  const quarter = width / 4;
  const omega = new Float64Array(quarter);
  for (let k = 0; k < quarter; k++) omega[k] = 1 / 10000 ** (k / quarter);
  const out = new Float32Array(rows * cols * width);
  const axis = (n: number) => Float64Array.from({ length: n }, (_, i) => i / (n / baseSize) / interpolationScale);
  const ys = axis(rows);
  const xs = axis(cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const o = (r * cols + c) * width;
      for (let k = 0; k < quarter; k++) {
        const ax = xs[c] * omega[k];
        const ay = ys[r] * omega[k];
        out[o + k] = Math.sin(ax);
        out[o + quarter + k] = Math.cos(ax);
        out[o + 2 * quarter + k] = Math.sin(ay);
        out[o + 3 * quarter + k] = Math.cos(ay);
      }
    }
  }
  return out;
}
