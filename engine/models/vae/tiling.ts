import { StudioError } from '../../api/errors.ts';
import type { HostTensor } from '../../graph/session.ts';

/**
 * Tiled VAE passes keep memory bounded on large images: the network runs on overlapping
 * tiles and the outputs are blended with linear ramps across each overlap, so no seam shows.
 * Tiles are not bit-identical to a whole-image pass (GroupNorm statistics and the mid-block
 * attention see one tile), which is why tiling only starts above a size threshold.
 */
export interface TilingOptions {
  /** `auto` tiles when either latent side exceeds `threshold`. */
  mode?: 'auto' | 'always' | 'never';
  /** Tile edge in latent pixels (64 = 512 image pixels). */
  tileSize?: number;
  /** Overlap between neighbouring tiles in latent pixels. */
  overlap?: number;
  /** Largest latent side decoded in one piece under `auto` (96 = 768 pixels). */
  threshold?: number;
}

export const DEFAULT_TILING: Required<TilingOptions> = { mode: 'auto', tileSize: 64, overlap: 16, threshold: 96 };

export function shouldTile(latentH: number, latentW: number, opts: TilingOptions = {}): boolean {
  const o = { ...DEFAULT_TILING, ...opts };
  if (o.mode === 'never') return false;
  if (o.mode === 'always') return latentH > o.tileSize || latentW > o.tileSize;
  return latentH > o.threshold || latentW > o.threshold;
}

/** Evenly spread tile starts covering [0, length) with tiles of `tile` and at least `overlap` shared. */
export function tileStarts(length: number, tile: number, overlap: number): number[] {
  if (length <= tile) return [0];
  if (overlap >= tile) throw new StudioError('INVALID_REQUEST', `Tile overlap ${overlap} must be smaller than the tile ${tile}`);
  const n = Math.ceil((length - overlap) / (tile - overlap));
  return Array.from({ length: n }, (_, i) => Math.round((i * (length - tile)) / (n - 1)));
}

/** Per-position blend weight along one axis of a tile (output units): ramps over the shared parts. */
function axisWeights(size: number, rampIn: number, rampOut: number): Float32Array {
  const w = new Float32Array(size).fill(1);
  for (let i = 0; i < rampIn; i++) w[i] = Math.min(w[i], (i + 0.5) / rampIn);
  for (let i = 0; i < rampOut; i++) w[size - 1 - i] = Math.min(w[size - 1 - i], (i + 0.5) / rampOut);
  return w;
}

export interface TiledRun {
  tileSize: number;
  overlap: number;
  /** Input pixels per latent pixel (1 for the decoder, 8 for the encoder). */
  inScale: number;
  /** Output pixels per latent pixel (8 for the decoder, 1 for the encoder). */
  outScale: number;
}

/** Runs `fn` on overlapping NCHW tiles of `input` and blends the results into one tensor. */
export async function runTiled(input: HostTensor, fn: (tile: HostTensor) => Promise<HostTensor>, t: TiledRun): Promise<HostTensor> {
  const [B, C, H, W] = input.dims;
  const x = input.data as Float32Array;
  const LH = H / t.inScale, LW = W / t.inScale;
  const ys = tileStarts(LH, t.tileSize, t.overlap), xs = tileStarts(LW, t.tileSize, t.overlap);
  const th = Math.min(t.tileSize, LH), tw = Math.min(t.tileSize, LW);
  let out: Float32Array | undefined;
  let outC = 0;
  const OH = LH * t.outScale, OW = LW * t.outScale;
  const weightSum = new Float32Array(OH * OW);
  for (let yi = 0; yi < ys.length; yi++) {
    for (let xi = 0; xi < xs.length; xi++) {
      const [y0, x0] = [ys[yi], xs[xi]];
      const tile = crop(x, [B, C, H, W], y0 * t.inScale, x0 * t.inScale, th * t.inScale, tw * t.inScale);
      const r = await fn(tile);
      const rd = r.data as Float32Array;
      outC = r.dims[1];
      out ??= new Float32Array(B * outC * OH * OW);
      const ovTop = yi > 0 ? ys[yi - 1] + th - y0 : 0, ovBottom = yi < ys.length - 1 ? y0 + th - ys[yi + 1] : 0;
      const ovLeft = xi > 0 ? xs[xi - 1] + tw - x0 : 0, ovRight = xi < xs.length - 1 ? x0 + tw - xs[xi + 1] : 0;
      const rh = th * t.outScale, rw = tw * t.outScale;
      const wy = axisWeights(rh, ovTop * t.outScale, ovBottom * t.outScale);
      const wx = axisWeights(rw, ovLeft * t.outScale, ovRight * t.outScale);
      const oy = y0 * t.outScale, ox = x0 * t.outScale;
      for (let i = 0; i < rh; i++) for (let j = 0; j < rw; j++) weightSum[(oy + i) * OW + ox + j] += wy[i] * wx[j];
      for (let b = 0; b < B; b++) for (let c = 0; c < outC; c++) {
        const src = (b * outC + c) * rh * rw, dst = (b * outC + c) * OH * OW;
        for (let i = 0; i < rh; i++) {
          const row = dst + (oy + i) * OW + ox;
          for (let j = 0; j < rw; j++) out[row + j] += wy[i] * wx[j] * rd[src + i * rw + j];
        }
      }
    }
  }
  const plane = OH * OW;
  for (let k = 0; k < out!.length; k++) out![k] /= weightSum[k % plane];
  return { data: out!, dims: [B, outC, OH, OW], dtype: 'float32' };
}

function crop(x: Float32Array, [B, C, H, W]: readonly number[], y0: number, x0: number, h: number, w: number): HostTensor {
  const out = new Float32Array(B * C * h * w);
  for (let bc = 0; bc < B * C; bc++) {
    for (let i = 0; i < h; i++) {
      const src = (bc * H + y0 + i) * W + x0;
      out.set(x.subarray(src, src + w), (bc * h + i) * w);
    }
  }
  return { data: out, dims: [B, C, h, w], dtype: 'float32' };
}
