import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StudioError } from '../../../engine/api/errors.ts';
import { adapterLayout, bindAdapter, blockMultipliers, loadIpAdapterFile, processorOrder } from '../../../engine/controllers/ipAdapter/index.ts';
import { loadImageEncoder, visionConfigFromShapes } from '../../../engine/models/clipVision/index.ts';
import { unetSites } from '../../../engine/models/unet/sites.ts';
import { WeightStore } from '../../../engine/models/weightStore.ts';
import { SessionCache } from '../../../engine/graph/session.ts';
import { SD15_IP_HIDDEN, SD15_UNET, headerInfos, ipAdapterPlusSd15Shapes, ipAdapterSd15Shapes, vitH14Shapes, writeSparseSafetensors } from './fixtures.ts';

const sites = unetSites(SD15_UNET).attention;
const cache = new SessionCache({ intraOpNumThreads: 1 });
const cross = sites.filter((s) => s.kind === 'cross');


describe('IP-Adapter key layouts (header only)', () => {
  it('ip-adapter_sd15: 4 tokens from the 1024-d image embedding, 768-wide', () => {
    const l = adapterLayout(headerInfos(ipAdapterSd15Shapes(), 'a.safetensors'), 'a.safetensors');
    expect(l).toMatchObject({ projection: 'linear', tokens: 4, contextDim: 768, featureDim: 1024 });
    expect(l.layerKeys).toEqual([1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31]);
  });

  it('ip-adapter-plus_sd15: Resampler of depth 4, 12 heads, 16 tokens from 1280-d hidden states', () => {
    const l = adapterLayout(headerInfos(ipAdapterPlusSd15Shapes(), 'p.safetensors'), 'p.safetensors');
    expect(l).toMatchObject({ projection: 'resampler', tokens: 16, contextDim: 768, featureDim: 1280, resampler: { depth: 4, heads: 12, dimHead: 64 } });
  });

  it('binds ip_adapter.k in diffusers processor order: down, up, then mid', () => {
    const t = headerInfos(ipAdapterSd15Shapes(), 'a.safetensors');
    const b = bindAdapter(t, 'a.safetensors', adapterLayout(t, 'a.safetensors'), sites, 768);
    expect(b).toHaveLength(16);
    for (const { site, key } of b) expect(site.channels).toBe(SD15_IP_HIDDEN[key]);
    const at = (k: number) => b.find((x) => x.key === k)!.site.path;
    expect(at(1)).toBe('model.diffusion_model.input_blocks.1.1.transformer_blocks.0.attn2');
    expect(at(11)).toBe('model.diffusion_model.input_blocks.8.1.transformer_blocks.0.attn2');
    expect(at(13)).toBe('model.diffusion_model.output_blocks.3.1.transformer_blocks.0.attn2');
    expect(at(29)).toBe('model.diffusion_model.output_blocks.11.1.transformer_blocks.0.attn2');
    expect(at(31)).toBe('model.diffusion_model.middle_block.1.transformer_blocks.0.attn2');
    expect(processorOrder(sites).map((x) => x.key)).toEqual(b.map((x) => x.key));
  });

  it('lists missing keys, and refuses an adapter for another context width', () => {
    const shapes = ipAdapterSd15Shapes();
    shapes.delete('ip_adapter.31.to_v_ip.weight');
    shapes.delete('image_proj.norm.bias');
    const t = headerInfos(shapes, 'a.safetensors');
    const err = (() => { try { adapterLayout(t, 'a.safetensors'); } catch (e) { return e as StudioError; } })();
    expect(err).toBeInstanceOf(StudioError);
    expect(err!.code).toBe('CHECKPOINT_INCOMPLETE');
    expect(err!.details?.missing).toEqual(['image_proj.norm.bias']);
    shapes.set('image_proj.norm.bias', [768]);
    const t2 = headerInfos(shapes, 'a.safetensors');
    expect(() => bindAdapter(t2, 'a.safetensors', adapterLayout(t2, 'a.safetensors'), sites, 768)).toThrow(/missing ip_adapter\.31\.to_v_ip\.weight/);
    const full = headerInfos(ipAdapterSd15Shapes(), 'a.safetensors');
    expect(() => bindAdapter(full, 'a.safetensors', adapterLayout(full, 'a.safetensors'), sites, 1024)).toThrow(/768-wide image tokens but this model's cross-attention takes 1024/);
  });

  it('InstantStyle block presets select up_blocks.1 (style) and down_blocks.2 + mid (layout)', () => {
    const keys = new Map(processorOrder(sites).map((b) => [b.site.path, b.key]));
    const on = (preset: 'style' | 'layout' | 'style+layout') => {
      const m = blockMultipliers(cross, preset);
      return cross.filter((_, j) => m[j] !== 0).map((s) => keys.get(s.path)).sort((a, b) => a! - b!);
    };
    expect(on('style')).toEqual([13, 15, 17]);
    expect(on('style+layout')).toEqual([9, 11, 13, 15, 17, 31]);
    expect(on('layout')).toEqual([9, 11, 31]);
    expect(cross[15].tags.diffusersBlock).toBe('up_blocks.3.attentions.2');
    const custom = blockMultipliers(cross, { up_blocks: 0.5, 'up_blocks.1.attentions.1': 2 });
    expect(custom.filter((v) => v === 0.5)).toHaveLength(8);
    expect(custom.filter((v) => v === 2)).toHaveLength(1);
    expect(() => blockMultipliers(cross, { 'up_blocks.7': 1 })).toThrow(/matches no cross-attention block/);
  });

  it('ViT-H/14 image encoder: 32 layers, 16 heads, 224 px, patch 14, projection 1024', () => {
    const w = WeightStore.from(headerInfos(vitH14Shapes(), 'model.safetensors'), 'model.safetensors');
    expect(visionConfigFromShapes(w)).toEqual({
      hiddenSize: 1280, numLayers: 32, numHeads: 16, patchSize: 14, imageSize: 224, projectionDim: 1024, hiddenAct: 'gelu', layerNormEps: 1e-5,
    });
  });
});

describe('real-size adapter and encoder files with sparse data', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ipa-layout-'));
  });
  afterAll(async () => {
    await cache.clear();
    await rm(dir, { recursive: true, force: true });
  });

  it('loads ip-adapter_sd15 and ip-adapter-plus_sd15 .safetensors into the SD 1.5 sites', async () => {
    for (const [name, shapes, tokens] of [['ip-adapter_sd15', ipAdapterSd15Shapes(), 4], ['ip-adapter-plus_sd15', ipAdapterPlusSd15Shapes(), 16]] as const) {
      const file = join(dir, `${name}.safetensors`);
      await writeSparseSafetensors(file, shapes);
      const a = await loadIpAdapterFile(file, sites, 768, { cache, threads: 1, placement: { cacheDir: join(dir, 'graphs') } });
      expect(a.layout.tokens).toBe(tokens);
      expect(a.bindings.map((b) => [b.key, b.site.channels])).toEqual(processorOrder(sites).map((b) => [b.key, SD15_IP_HIDDEN[b.key]]));
      // The sparse data reads as zeros: enough to build and run the real-size graph and check every output's shape.
      const features = tokens === 4 ? { data: new Float32Array(2 * 1024), dims: [2, 1024] } : { data: new Float32Array(2 * 257 * 1280), dims: [2, 257, 1280] };
      const out = await a.run(features);
      expect(out.tokens.dims).toEqual([2, tokens, 768]);
      a.bindings.forEach((b, i) => expect(out.kv[i].k.length).toBe(2 * tokens * SD15_IP_HIDDEN[b.key]));
    }
    await expect(loadIpAdapterFile(join(dir, 'ip-adapter_sd15.bin'), sites, 768)).rejects.toThrow(/pickled/);
  });

  it('reads the image_encoder/ folder layout of ViT-H/14', async () => {
    const folder = join(dir, 'image_encoder');
    await (await import('node:fs/promises')).mkdir(folder);
    await writeSparseSafetensors(join(folder, 'model.safetensors'), vitH14Shapes());
    const enc = await loadImageEncoder(folder);
    expect(enc.config).toMatchObject({ hiddenSize: 1280, numLayers: 32, numHeads: 16, imageSize: 224, projectionDim: 1024 });
  });
});
