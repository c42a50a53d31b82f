import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StudioError } from '../../../engine/api/errors.ts';
import { SessionCache } from '../../../engine/graph/session.ts';
import { loadTextEncoder, type TextEncoderSource } from '../../../engine/models/clip/index.ts';
import { TEXT } from '../../../engine/models/families/ldmFamily.ts';
import { sd2 } from '../../../engine/models/families/sd2.ts';
import { renameTensors } from '../../../engine/models/keyRules.ts';
import { detectTextEncoderShapes } from '../../../engine/models/clip/shapes.ts';
import { WeightStore } from '../../../engine/models/weightStore.ts';
import { tokenizerFor } from '../../../engine/tokenizer/forModel.ts';
import { readSafetensorsHeader } from '../../../engine/safetensors/header.ts';
import { writeSafetensors } from '../../../engine/safetensors/writer.ts';
import { maxAbsDiff, openClipReference, randomOpenClip } from './reference.ts';

/**
 * SD 2.x text tower without reference outputs: a random OpenCLIP-layout file
 * (`cond_stage_model.model.*`, fused in_proj) goes through the SD 2.x single-file rename
 * rules into the canonical store, and the graph is compared with a plain-loop
 * implementation that reads the OpenCLIP tensors directly.
 */
const model = randomOpenClip({ vocab: 49408, hidden: 64, heads: 4, layers: 3, seed: 2024 });
const P = 77;
// OpenCLIP pads with 0 (SD 2.x): BOS, a few tokens, EOS, zeros.
const row = (tokens: number[]) => [49406, ...tokens, 49407, ...new Array(P - tokens.length - 2).fill(0)];
const IDS = [row([320, 1125, 539, 320, 2368]), row([1929, 49407 - 1, 7, 267, 256, 4, 1000, 42000])];

let dir: string;
let cache: SessionCache;
let source: TextEncoderSource;
const runtime = () => ({ cache, threads: 1, placement: { cacheDir: join(dir, 'graphs') } });

/** The canonical store and SD 2.x text config detection would produce (heads from a config). */
async function sourceFrom(file: string, dropLayers: number[] = []): Promise<TextEncoderSource> {
  const header = await readSafetensorsHeader(file);
  const { canonical } = renameTensors(header.tensors.values(), sd2.singleFileRules, undefined, { passthrough: true });
  for (const l of dropLayers) for (const k of [...canonical.keys()]) if (k.startsWith(`${TEXT}.encoder.layers.${l}.`)) canonical.delete(k);
  const weights = WeightStore.from(canonical, file);
  const shapes = detectTextEncoderShapes(weights.scope(TEXT));
  return {
    family: 'sd2',
    weights,
    textEncoders: [{ ...shapes, numHeads: 4, headsSource: 'config', hiddenAct: 'gelu', skipLastLayers: sd2.defaults.textSkipLastLayers }],
  };
}

function reference(layersRun: number): Float64Array {
  const out = new Float64Array(IDS.length * P * model.hidden);
  IDS.forEach((ids, b) => out.set(openClipReference(model, ids, layersRun), b * P * model.hidden));
  return out;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'openclip-'));
  cache = new SessionCache({ intraOpNumThreads: 1 });
  const tensors = new Map([...model.tensors].map(([k, t]) => [`cond_stage_model.model.${k}`, { dtype: 'F32' as const, ...t }]));
  await writeSafetensors(join(dir, 'sd2-text.safetensors'), tensors, { format: 'pt' });
  source = await sourceFrom(join(dir, 'sd2-text.safetensors'));
});
afterAll(async () => {
  await cache.clear();
  await rm(dir, { recursive: true, force: true });
});

describe('SD 2.x OpenCLIP text tower', () => {
  it('detection maps the OpenCLIP keys: 3 layers, 49408 × 64, no text_projection', () => {
    expect(source.textEncoders[0]).toMatchObject({ vocabSize: 49408, hiddenSize: 64, numLayers: 3, intermediateSize: 256, maxPositions: 77 });
    expect(source.weights.has('cond_stage_model.model.text_projection')).toBe(false);
    expect(source.weights.get(`${TEXT}.encoder.layers.0.self_attn.k_proj.weight`).shape).toEqual([64, 64]);
  });

  it('default (SD 2.x: penultimate layer, then ln_final) matches the plain-loop reference to 1e-4', async () => {
    const enc = await loadTextEncoder(source, runtime());
    expect(enc.clipSkip).toBe(2);
    const out = await enc.encodeIds(IDS);
    expect(out.dims).toEqual([2, 77, 64]);
    const diff = maxAbsDiff(out.data, reference(2));
    console.log(`[openclip] clip skip 2 vs plain loops (2 of 3 layers + ln_final): max abs ${diff.toExponential(2)}`);
    expect(diff).toBeLessThan(1e-4);
  });

  it('clip skip 1 runs every layer', async () => {
    const enc = await loadTextEncoder(source, { ...runtime(), clipSkip: 1 });
    const out = await enc.encodeIds(BigInt64Array.from(IDS.flat(), BigInt), 2);
    const diff = maxAbsDiff(out.data, reference(3));
    console.log(`[openclip] clip skip 1 vs plain loops (3 layers): max abs ${diff.toExponential(2)}`);
    expect(diff).toBeLessThan(1e-4);
  });

  it('clip skip 2 equals the same tower with its last layer removed, at clip skip 1', async () => {
    const full = await loadTextEncoder(source, runtime());
    const cut = await sourceFrom(join(dir, 'sd2-text.safetensors'), [2]);
    expect(cut.textEncoders[0].numLayers).toBe(2);
    const short = await loadTextEncoder(cut, { ...runtime(), clipSkip: 1 });
    const a = await full.encodeIds(IDS, 2, { clipSkip: 2 });
    const b = await short.encodeIds(IDS);
    expect(maxAbsDiff(a.data, b.data)).toBeLessThan(1e-6);
    // and clip skip 3 (only the first layer) still differs from both
    const c = await full.encodeIds(IDS, 2, { clipSkip: 3 });
    expect(maxAbsDiff(c.data, reference(1))).toBeLessThan(1e-4);
    expect(maxAbsDiff(c.data, a.data)).toBeGreaterThan(1e-2);
  });

  it('explicit-softmax kernel agrees with the fused causal kernel', async () => {
    const fused = await loadTextEncoder(source, runtime());
    const explicit = await loadTextEncoder(source, { ...runtime(), kernel: 'explicit' });
    const diff = maxAbsDiff((await fused.encodeIds(IDS)).data, (await explicit.encodeIds(IDS)).data);
    console.log(`[openclip] fused vs explicit causal attention: max abs ${diff.toExponential(2)}`);
    expect(diff).toBeLessThan(1e-5);
  });

  it('clip skip outside 1..layers → INVALID_REQUEST', async () => {
    const enc = await loadTextEncoder(source, runtime());
    for (const clipSkip of [0, 4, 1.5]) {
      await expect(enc.encodeIds(IDS, 2, { clipSkip })).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    }
    await expect(loadTextEncoder(source, { ...runtime(), clipSkip: 4 })).rejects.toBeInstanceOf(StudioError);
  });

  it('long prompts with the SD 2.x tokenizer (pads with 0): chunks of 75 → [1, 154, 64]', async () => {
    const enc = await loadTextEncoder(source, runtime());
    const tokenizer = await tokenizerFor({ family: 'sd2' });
    const e = await enc.encodePrompt(Array.from({ length: 100 }, () => 'dog').join(' '), tokenizer);
    expect(e.dims).toEqual([1, 154, 64]);
    const ids = e.chunks[1].ids;
    expect([ids[0], ids[26]]).toEqual([49406, 49407]);
    expect(new Set(ids.slice(27))).toEqual(new Set([0]));
    const second = openClipReference(model, e.chunks[1].ids, 2);
    expect(maxAbsDiff(e.data.subarray(77 * 64), second)).toBeLessThan(1e-4);
  });
});

