import type { HostTensor } from '../../graph/session.ts';

/** `CLIPImageProcessor()` defaults (ALGORITHMS §3.2). */
export const CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073] as const;
export const CLIP_STD = [0.26862954, 0.26130258, 0.27577711] as const;

export interface Rgb8 {
  data: Uint8Array;
  width: number;
  height: number;
}

/**
 * The reference preprocessing of the IP-Adapter image encoder: shortest edge to `size`
 * with PIL's bicubic (antialiased on downscale), center crop size×size, /255, normalise
 * with CLIP's mean and std. → [1, 3, size, size].
 */
export function clipPreprocess(rgb: Rgb8, size = 224): HostTensor {
  const { width: w, height: h } = rgb;
  // transformers' get_resize_output_image_size(default_to_square=False): short → size, long scaled and truncated.
  const [rw, rh] = w <= h ? [size, Math.trunc((size * h) / w)] : [Math.trunc((size * w) / h), size];
  const resized = resizeBicubicPil(rgb, rw, rh);
  // transformers' center_crop: top/left = (orig − crop) // 2.
  const top = (rh - size) >> 1;
  const left = (rw - size) >> 1;
  const out = new Float32Array(3 * size * size);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const src = ((y + top) * rw + (x + left)) * 3;
      for (let c = 0; c < 3; c++) out[c * size * size + y * size + x] = (resized.data[src + c] / 255 - CLIP_MEAN[c]) / CLIP_STD[c];
    }
  }
  return { data: out, dims: [1, 3, size, size] };
}

/** PIL's bicubic kernel (a = −0.5). */
function bicubic(x: number): number {
  const a = -0.5;
  x = Math.abs(x);
  if (x < 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
  if (x < 2) return (((x - 5) * x + 8) * x - 4) * a;
  return 0;
}

/** Per output pixel: first input index and normalised weights, as PIL's `precompute_coeffs`. */
function coefficients(inSize: number, outSize: number): { start: Int32Array; weights: Float64Array[] } {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = 2 * filterScale;
  const start = new Int32Array(outSize);
  const weights: Float64Array[] = [];
  for (let i = 0; i < outSize; i++) {
    const center = (i + 0.5) * scale;
    const lo = Math.max(Math.trunc(center - support + 0.5), 0);
    const hi = Math.min(Math.trunc(center + support + 0.5), inSize);
    const k = new Float64Array(hi - lo);
    let sum = 0;
    for (let j = 0; j < k.length; j++) sum += k[j] = bicubic((j + lo - center + 0.5) / filterScale);
    if (sum !== 0) for (let j = 0; j < k.length; j++) k[j] /= sum;
    start[i] = lo;
    weights.push(k);
  }
  return { start, weights };
}

const clip8 = (v: number) => (v <= 0 ? 0 : v >= 255 ? 255 : Math.floor(v + 0.5));

/**
 * PIL `Image.resize(..., BICUBIC)` on 8-bit RGB: separable, horizontal pass first, the
 * intermediate rounded to 8 bits as PIL does. PIL uses 22-bit fixed-point weights, so a
 * pixel may differ from it by one level where a sum lands on .5 exactly.
 */
export function resizeBicubicPil(src: Rgb8, outW: number, outH: number): Rgb8 {
  const { width: inW, height: inH, data } = src;
  let cur = data;
  let curW = inW;
  if (outW !== inW) {
    const { start, weights } = coefficients(inW, outW);
    const tmp = new Uint8Array(outW * inH * 3);
    for (let y = 0; y < inH; y++) {
      for (let x = 0; x < outW; x++) {
        const k = weights[x];
        for (let c = 0; c < 3; c++) {
          let s = 0;
          for (let j = 0; j < k.length; j++) s += k[j] * cur[(y * curW + start[x] + j) * 3 + c];
          tmp[(y * outW + x) * 3 + c] = clip8(s);
        }
      }
    }
    cur = tmp;
    curW = outW;
  }
  if (outH !== inH) {
    const { start, weights } = coefficients(inH, outH);
    const tmp = new Uint8Array(curW * outH * 3);
    for (let y = 0; y < outH; y++) {
      const k = weights[y];
      for (let x = 0; x < curW; x++) {
        for (let c = 0; c < 3; c++) {
          let s = 0;
          for (let j = 0; j < k.length; j++) s += k[j] * cur[((start[y] + j) * curW + x) * 3 + c];
          tmp[(y * curW + x) * 3 + c] = clip8(s);
        }
      }
    }
    cur = tmp;
  }
  return { data: cur === data ? Uint8Array.from(data) : cur, width: outW, height: outH };
}
