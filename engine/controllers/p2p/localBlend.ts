/**
 * LocalBlend (P2P): where the edit may change the latent. Per branch, the step-summed
 * cross-attention of its blend words at latent/4, dilated by a 3×3 max-pool, brought to
 * the latent size (nearest), divided by its maximum and thresholded; the two branches'
 * masks are united. Only the running sums live between steps (ALGORITHMS §1.7).
 */

export interface MapGrid {
  readonly height: number;
  readonly width: number;
}

export interface LocalBlendInput {
  /** [rows, P, tokens] running sums; row r belongs to `tokens[r]`. */
  readonly sums: Float32Array;
  readonly tokens: readonly (readonly number[])[];
  readonly tokenCount: number;
  readonly grid: MapGrid;
  readonly latent: MapGrid;
  readonly threshold?: number;
}

/** 1 where the target may differ from the source, latent resolution. */
export function localBlendMask(i: LocalBlendInput): Float32Array {
  const { grid, latent, tokenCount: T } = i;
  const P = grid.height * grid.width;
  const th = i.threshold ?? 0.3;
  const mask = new Float32Array(latent.height * latent.width);
  i.tokens.forEach((words, r) => {
    if (!words.length) return;
    const m = new Float32Array(P);
    for (let p = 0; p < P; p++) {
      let s = 0;
      for (const n of words) s += i.sums[(r * P + p) * T + n];
      m[p] = s;
    }
    const pooled = maxPool3(m, grid);
    const up = nearest(pooled, grid, latent);
    let max = 0;
    for (const v of up) max = Math.max(max, v);
    if (!(max > 0)) return;
    for (let p = 0; p < up.length; p++) if (up[p] / max > th) mask[p] = 1;
  });
  return mask;
}

function maxPool3(m: Float32Array, g: MapGrid): Float32Array {
  const out = new Float32Array(m.length);
  for (let y = 0; y < g.height; y++) {
    for (let x = 0; x < g.width; x++) {
      let best = -Infinity;
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          const yy = y + dy, xx = x + dx;
          if (yy >= 0 && yy < g.height && xx >= 0 && xx < g.width) best = Math.max(best, m[yy * g.width + xx]);
        }
      }
      out[y * g.width + x] = best;
    }
  }
  return out;
}

/** torch's `interpolate(mode='nearest')`: source index floor(dst · in / out). */
export function nearest(m: Float32Array, from: MapGrid, to: MapGrid): Float32Array {
  const out = new Float32Array(to.height * to.width);
  for (let y = 0; y < to.height; y++) {
    const sy = Math.min(from.height - 1, Math.floor((y * from.height) / to.height));
    for (let x = 0; x < to.width; x++) {
      const sx = Math.min(from.width - 1, Math.floor((x * from.width) / to.width));
      out[y * to.width + x] = m[sy * from.width + sx];
    }
  }
  return out;
}

/**
 * x_tgt ← x_src + mask·(x_tgt − x_src) on a [src; tgt] latent pair of C planes: outside
 * the mask the target becomes the source exactly.
 */
export function blendTarget(x: Float32Array, mask: Float32Array): void {
  const n = x.length / 2;
  const plane = mask.length;
  for (let j = 0; j < n; j++) {
    if (!mask[j % plane]) x[n + j] = x[j];
  }
}
