import { randomBytes } from 'node:crypto';
import { StudioError } from '../api/errors.ts';
import { philox4x32 } from './philox.ts';

/**
 * Seeded standard-normal noise for latents: Philox4x32-10 words through Box–Muller.
 *
 * Layout of a stream: Philox key = the seed (53 bits: low word, high word), counter =
 * (block index as two words, stream id as two words). Block b gives the normals
 * 4b .. 4b+3: words (w0, w1) make one Box–Muller pair, (w2, w3) the next. So a stream is
 * an infinite sequence — `randn(seed, n)` is a prefix of `randn(seed, m)` for n < m — and
 * any slice is computable on its own (`fillRandn` with an offset).
 *
 * Reproducibility: the integer part is exact everywhere; the transform uses Math.log,
 * Math.cos and Math.sin, which V8 (Node, Electron, Chromium) computes with its own bundled
 * fdlibm port rather than the platform libm, so values are bit-identical across machines
 * and operating systems; test/random pins a few values to catch any change.
 *
 * This deliberately does NOT reproduce torch.randn: PyTorch's CPU generator is mt19937
 * followed by a Box–Muller whose float32 log/sin/cos come from SIMD approximations that
 * depend on the CPU's instruction set. A seed here therefore gives different images than
 * the same seed in a PyTorch UI; images made here are reproducible here.
 *
 * Conventions shared by the pipelines:
 * - batch item i of a request with seed s uses seed `itemSeed(s, i)` = s + i (wrapping at
 *   2^53), so image i of a batch can be regenerated alone from its recorded seed;
 * - stream 0 of an item's seed is its initial latent noise, stream 1 + k the fresh noise of
 *   sampling step k (ancestral samplers, DDIM with eta > 0) — see `stepNoise`.
 */

export const MAX_SEED = Number.MAX_SAFE_INTEGER; // 2^53 − 1

const TWO_POW_32 = 4294967296;
const INV_TWO_POW_32 = 1 / TWO_POW_32;
const TWO_PI = 2 * Math.PI;

function checkId(value: number, what: string): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new StudioError('INVALID_REQUEST', `${what} must be an integer in [0, 2^53 - 1], got ${value}`);
  }
}

function sizeOf(shape: number | readonly number[]): number {
  const dims = typeof shape === 'number' ? [shape] : shape;
  let n = 1;
  for (const d of dims) {
    if (!Number.isSafeInteger(d) || d < 0) throw new StudioError('INVALID_REQUEST', `bad noise shape [${dims.join(', ')}]`);
    n *= d;
  }
  if (n > 2 ** 31) throw new StudioError('INVALID_REQUEST', `noise of ${n} elements is too large`);
  return n;
}

/**
 * Fills `out` with elements offset .. offset + out.length − 1 of the normal stream
 * (seed, stream).
 */
export function fillRandn(out: Float32Array, seed: number, stream = 0, offset = 0): Float32Array {
  checkId(seed, 'seed');
  checkId(stream, 'stream');
  checkId(offset, 'offset');
  const k0 = seed % TWO_POW_32;
  const k1 = Math.floor(seed / TWO_POW_32);
  const s0 = stream % TWO_POW_32;
  const s1 = Math.floor(stream / TWO_POW_32);
  const words = new Uint32Array(4);
  const block = new Float64Array(4);
  let i = 0;
  while (i < out.length) {
    const element = offset + i;
    const b = Math.floor(element / 4);
    philox4x32(b % TWO_POW_32, Math.floor(b / TWO_POW_32), s0, s1, k0, k1, words);
    // (w + 0.5) / 2^32 lies strictly inside (0, 1), so log never sees 0.
    for (let p = 0; p < 4; p += 2) {
      const u1 = (words[p] + 0.5) * INV_TWO_POW_32;
      const theta = TWO_PI * (words[p + 1] * INV_TWO_POW_32);
      const r = Math.sqrt(-2 * Math.log(u1));
      block[p] = r * Math.cos(theta);
      block[p + 1] = r * Math.sin(theta);
    }
    for (let lane = element % 4; lane < 4 && i < out.length; lane++, i++) out[i] = block[lane];
  }
  return out;
}

/** Standard normal noise of the given shape (row-major), from stream `stream` of `seed`. */
export function randn(seed: number, shape: number | readonly number[], stream = 0): Float32Array {
  return fillRandn(new Float32Array(sizeOf(shape)), seed, stream);
}

/** The seed of batch item `index` for a request seeded with `seed`: seed + index, modulo 2^53. */
export function itemSeed(seed: number, index: number): number {
  checkId(seed, 'seed');
  checkId(index, 'batch index');
  // Compared before adding: seed + index may not be representable past 2^53.
  const room = MAX_SEED - seed;
  return index > room ? index - room - 1 : seed + index;
}

/**
 * Noise for a batch: shape[0] is the batch, and item i is `randn(itemSeed(seed, i),
 * shape.slice(1), stream)` — identical to generating that item alone.
 */
export function randnBatch(seed: number, shape: readonly number[], stream = 0): Float32Array {
  if (shape.length < 1) throw new StudioError('INVALID_REQUEST', 'randnBatch needs a batch dimension');
  const total = sizeOf(shape);
  const out = new Float32Array(total);
  const per = shape[0] === 0 ? 0 : total / shape[0];
  for (let b = 0; b < shape[0]; b++) fillRandn(out.subarray(b * per, (b + 1) * per), itemSeed(seed, b), stream);
  return out;
}

/** Per-step noise for a sampler: step k of the full schedule draws stream 1 + k of each item's seed. */
export function stepNoise(seed: number, shape: readonly number[]): (step: number) => Float32Array {
  return (step: number) => randnBatch(seed, shape, 1 + step);
}

/** A fresh seed for requests that did not give one (record it so the image can be remade). */
export function randomSeed(): number {
  const bytes = randomBytes(8);
  return (bytes.readUInt32LE(0) % 2 ** 21) * TWO_POW_32 + bytes.readUInt32LE(4);
}
