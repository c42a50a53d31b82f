import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SessionCache } from '../../../engine/graph/session.ts';
import { expectedTensors, loadPixArt, openPixArt, type PixArtConfig } from '../../../engine/models/pixart/index.ts';
import { type TensorToWrite, writeSafetensors } from '../../../engine/safetensors/writer.ts';
import { maxAbsDiff } from '../../graph/reference.ts';

/** α-1024-MS style at toy width: C = 48 (size embedders 16 wide), 3 heads, one block. */
const CONFIG: PixArtConfig = {
  inChannels: 4, outChannels: 8, patchSize: 2, width: 48, depth: 1, heads: 3, headsSource: 'config', mlpWidth: 192, captionChannels: 8,
  frequencyDim: 256, microConditions: true, sampleSize: 8, sampleSizeSource: 'config', baseSize: 4, interpolationScale: 1,
  interpolationScaleSource: 'config', nullCaptionTokens: 0,
};
let dir: string;
const cache = new SessionCache({ intraOpNumThreads: 1 });

function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  };
}

async function writeModel(folder: string, zeroSizeEmbedders: boolean, withSizeEmbedders = true): Promise<Map<string, Float32Array>> {
  const rnd = random(7);
  const tensors = new Map<string, TensorToWrite>();
  const values = new Map<string, Float32Array>();
  for (const [name, shape] of expectedTensors(CONFIG)) {
    const n = shape.reduce((a, b) => a * b, 1);
    const fanIn = shape.length > 1 ? shape.slice(1).reduce((a, b) => a * b, 1) : 4;
    // Drawn whatever is written, so every variant shares the other weights.
    const data = Float32Array.from({ length: n }, () => (2 * rnd()) / Math.sqrt(fanIn));
    if (zeroSizeEmbedders && /(resolution|aspect_ratio)_embedder\.linear_2/.test(name)) data.fill(0);
    values.set(name, data);
    if (!withSizeEmbedders && /(resolution|aspect_ratio)_embedder/.test(name)) continue;
    tensors.set(name, { dtype: 'F32', shape, data });
  }
  await mkdir(folder, { recursive: true });
  await writeSafetensors(join(folder, 'diffusion_pytorch_model.safetensors'), tensors);
  await writeFile(join(folder, 'config.json'), JSON.stringify({ _class_name: 'PixArtTransformer2DModel', num_attention_heads: 3, sample_size: 8, interpolation_scale: 1 }));
  return values;
}

/** diffusers' Timesteps(256, flip_sin_to_cos) then Linear → SiLU → Linear, in float64. */
function embedScalar(s: number, w: Map<string, Float32Array>, scope: string, out: number): number[] {
  const sinusoid = Array.from({ length: 256 }, (_, i) => {
    const f = Math.exp((-Math.log(10000) * (i % 128)) / 128);
    return i < 128 ? Math.cos(s * f) : Math.sin(s * f);
  });
  const lin = (name: string, x: number[], rows: number) =>
    Array.from({ length: rows }, (_, r) => x.reduce((a, v, c) => a + w.get(`${scope}.${name}.weight`)![r * x.length + c] * v, w.get(`${scope}.${name}.bias`)![r]));
  const h = lin('linear_1', sinusoid, out).map((v) => v / (1 + Math.exp(-v)));
  return lin('linear_2', h, out);
}

describe('PixArt α-1024 micro-conditions (synthetic toy-width model)', () => {
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pixart-micro-'));
  });
  afterAll(async () => {
    await cache.clear();
    await rm(dir, { recursive: true, force: true });
  });

  const inputs = { x: { data: new Float32Array(4 * 8 * 12).fill(0.3), dims: [1, 4, 8, 12] }, caption: { data: new Float32Array(5 * 8).fill(0.2), dims: [1, 5, 8] }, mask: [1, 1, 1, 0, 0] };

  it('are detected from the size-embedder keys and added as [csize(h), csize(w), ar(h/w)] to the timestep embedding', async () => {
    const w = await writeModel(join(dir, 'ms'), false);
    const spec = await openPixArt(join(dir, 'ms'));
    expect(spec.config.microConditions).toBe(true);
    const dit = await loadPixArt(spec, { runtime: { threads: 1, placement: { cacheDir: join(dir, 'g') } }, cache, taps: true });
    const micro = { resolution: [[768, 1024]] as [number, number][], aspectRatio: [0.75] };
    const { extras } = await dit.evaluateDetailed(inputs.x, [321], inputs.caption, inputs.mask, micro);
    const t = embedScalar(321, w, 'adaln_single.emb.timestep_embedder', 48);
    const cond = [
      ...embedScalar(768, w, 'adaln_single.emb.resolution_embedder', 16),
      ...embedScalar(1024, w, 'adaln_single.emb.resolution_embedder', 16),
      ...embedScalar(0.75, w, 'adaln_single.emb.aspect_ratio_embedder', 16),
    ];
    const expected = Float32Array.from(t.map((v, i) => v + cond[i]));
    expect(maxAbsDiff(extras['tap/embedded_timestep'].data as Float32Array, expected)).toBeLessThan(1e-4);
    // The output depends on the size asked for; by default the latent's own image (8h × 8w, h/w).
    const other = await dit.evaluate(inputs.x, [321], inputs.caption, inputs.mask, { resolution: [[1024, 768]], aspectRatio: [4 / 3] });
    expect(maxAbsDiff(other, (await dit.evaluateDetailed(inputs.x, [321], inputs.caption, inputs.mask, micro)).output)).toBeGreaterThan(1e-4);
    const byDefault = await dit.evaluate(inputs.x, [321], inputs.caption, inputs.mask);
    const explicit = await dit.evaluate(inputs.x, [321], inputs.caption, inputs.mask, { resolution: [[64, 96]], aspectRatio: [8 / 12] });
    expect(maxAbsDiff(byDefault, explicit)).toBe(0);
  });

  it('zero size embeddings give exactly the model without micro-conditions', async () => {
    await writeModel(join(dir, 'zero'), true);
    await writeModel(join(dir, 'none'), true, false);
    const rt = { runtime: { threads: 1, placement: { cacheDir: join(dir, 'g') } }, cache };
    const none = await openPixArt(join(dir, 'none'));
    expect(none.config.microConditions).toBe(false);
    const a = await (await loadPixArt(await openPixArt(join(dir, 'zero')), rt)).evaluate(inputs.x, [500], inputs.caption, inputs.mask);
    const b = await (await loadPixArt(none, rt)).evaluate(inputs.x, [500], inputs.caption, inputs.mask);
    expect(maxAbsDiff(a, b)).toBeLessThan(1e-6);
  });
});
