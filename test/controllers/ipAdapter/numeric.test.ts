import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attentionSite } from '../../../engine/controllers/attentionSite.ts';
import { planChain } from '../../../engine/controllers/chain.ts';
import { type ImagePromptKV, ipAdapter, loadIpAdapterFile } from '../../../engine/controllers/ipAdapter/index.ts';
import type { AttentionSite } from '../../../engine/controllers/site.ts';
import { GraphBuilder } from '../../../engine/graph/builder.ts';
import type { AttentionKernel } from '../../../engine/graph/ops/attention.ts';
import { SessionCache, runSession } from '../../../engine/graph/session.ts';
import type { UNetConfig } from '../../../engine/models/spec.ts';
import { unetSites } from '../../../engine/models/unet/sites.ts';
import { writeSafetensors } from '../../../engine/safetensors/writer.ts';
import { maxAbsDiff, randomArray } from '../../graph/reference.ts';
import { SD15_UNET } from './fixtures.ts';
import { gelu, layerNorm, linear, mha, rows } from './reference.ts';

const cache = new SessionCache({ intraOpNumThreads: 1 });
afterAll(() => cache.clear());

/** sd15-tiny's UNet widths (golden/sd15-tiny/config.json): 32·[1, 2, 3, 3], 8 heads, context 64. */
export const TINY_UNET: UNetConfig = { ...SD15_UNET, modelChannels: 32, channelMult: [1, 2, 3, 3], contextDim: 64, timeEmbedDim: 128 };

describe('decoupled cross-attention at one site against a TypeScript reference', () => {
  const site: AttentionSite = {
    path: 'net.attn2', ordinal: 1, block: 'net', kind: 'cross',
    heads: 2, dimHead: 4, channels: 8, grid: { downsample: 1, tokens: 6 }, queryTokens: 6, keyTokens: 5, tags: {},
  };
  const B = 2, S = 6, L = 5, C = 8, T = 3;
  const q = randomArray(B * S * C, 1), k = randomArray(B * L * C, 2), v = randomArray(B * L * C, 3);
  const images: ImagePromptKV[] = [0, 1].map((m) => ({
    cond: [{ k: randomArray(T * C, 10 + m), v: randomArray(T * C, 20 + m) }],
    uncond: [{ k: randomArray(T * C, 30 + m), v: randomArray(T * C, 40 + m) }],
  }));
  const scales = [[0.7], [1.3]];

  for (const kernel of ['fused', 'explicit'] as AttentionKernel[]) {
    it(`two images with their own scales, separate softmaxes (${kernel})`, async () => {
      const ctrl = ipAdapter({ sites: [site], tokens: T, images, scales });
      const chain = planChain([ctrl], { attention: [site], blocks: [] });
      const s = await cache.get({ checkpoint: 'none', architecture: `ipa-site-${kernel}` }, () => {
        const g = new GraphBuilder({ name: 'ipa-site' });
        const bound = chain.bind(g, { kernel });
        const y = attentionSite(g, site, g.input('q', 'float32', ['batch', S, C]), g.input('k', 'float32', ['batch', L, C]), g.input('v', 'float32', ['batch', L, C]), bound);
        bound.finish();
        g.output(y, 'y');
        return g;
      });
      const out = await runSession(s, {
        q: { data: q, dims: [B, S, C] }, k: { data: k, dims: [B, L, C] }, v: { data: v, dims: [B, L, C] },
        ...chain.feeds({ index: 0, count: 1, timesteps: [500, 500], latent: { height: 2, width: 3 } }),
      });
      const expected = new Float32Array(B * S * C);
      for (let b = 0; b < B; b++) {
        const qb = rows(q, b, S * C);
        const text = mha(qb, rows(k, b, L * C), rows(v, b, L * C), S, L, 2, 4);
        for (let m = 0; m < 2; m++) {
          // Row 0 is the unconditional half of [uncond, cond].
          const kv = b === 0 ? images[m].uncond[0] : images[m].cond[0];
          const img = mha(qb, kv.k, kv.v, S, T, 2, 4);
          for (let i = 0; i < text.length; i++) text[i] += scales[m][0] * img[i];
        }
        expected.set(text, b * S * C);
      }
      expect(maxAbsDiff(out.y.data as Float32Array, expected)).toBeLessThan(1e-5);
      // A single softmax over [text ‖ image] keys would be another function: make sure the test can tell.
      const joint = mha(rows(q, 1, S * C), Float32Array.from([...rows(k, 1, L * C), ...images[0].cond[0].k]), Float32Array.from([...rows(v, 1, L * C), ...images[0].cond[0].v]), S, L + T, 2, 4);
      expect(maxAbsDiff(rows(out.y.data as Float32Array, 1, S * C), joint)).toBeGreaterThan(1e-2);
    });
  }
});

describe('adapter graphs (projection + to_k_ip/to_v_ip) at sd15-tiny widths', () => {
  let dir: string;
  const sites = unetSites(TINY_UNET).attention;
  const D = 64;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ipa-numeric-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  /** Random F32 tensors with a fixed seed per name. */
  const random = (shapes: Record<string, number[]>, scale = 0.2) => {
    const out: Record<string, { dtype: 'F32'; shape: number[]; data: Float32Array }> = {};
    Object.entries(shapes).forEach(([name, shape], i) => {
      const n = shape.reduce((a, b) => a * b, 1);
      const data = /norm.*weight$|\.1\.0\.weight$/.test(name) ? randomArray(n, 100 + i, 0.1).map((x) => 1 + x) : randomArray(n, 100 + i, scale);
      out[name] = { dtype: 'F32', shape, data };
    });
    return out;
  };
  const perSite = () => {
    const m: Record<string, number[]> = {};
    const cross = sites.filter((s) => s.kind === 'cross');
    // diffusers' attn_processors order: down, up, then mid; forward order within a stage.
    const stageOrder = (s: AttentionSite) => ({ down: 0, up: 1, mid: 2 })[s.tags.family!.stage as 'down' | 'up' | 'mid'];
    const order = [...cross].sort((a, b) => stageOrder(a) - stageOrder(b) || a.ordinal - b.ordinal);
    order.forEach((s, r) => {
      m[`ip_adapter.${2 * r + 1}.to_k_ip.weight`] = [s.channels, D];
      m[`ip_adapter.${2 * r + 1}.to_v_ip.weight`] = [s.channels, D];
    });
    return m;
  };
  const checkKV = (w: ReturnType<typeof random>, a: Awaited<ReturnType<typeof loadIpAdapterFile>>, tokens: Float32Array, n: number, kv: { k: Float32Array; v: Float32Array }[]) => {
    a.bindings.forEach((b, i) => {
      const wk = w[`ip_adapter.${b.key}.to_k_ip.weight`].data;
      const wv = w[`ip_adapter.${b.key}.to_v_ip.weight`].data;
      expect(maxAbsDiff(kv[i].k, linear(tokens, n, D, wk, b.site.channels))).toBeLessThan(1e-4);
      expect(maxAbsDiff(kv[i].v, linear(tokens, n, D, wv, b.site.channels))).toBeLessThan(1e-4);
    });
  };

  it('linear projection (ip-adapter_sd15 layout): tokens = LN(reshape(proj(e))), and the zero embedding gives the uncond tokens', async () => {
    const E = 48, T = 4;
    const w = random({ 'image_proj.proj.weight': [T * D, E], 'image_proj.proj.bias': [T * D], 'image_proj.norm.weight': [D], 'image_proj.norm.bias': [D], ...perSite() });
    const file = join(dir, 'base.safetensors');
    await writeSafetensors(file, w);
    const a = await loadIpAdapterFile(file, sites, D, { cache, threads: 1, placement: { cacheDir: join(dir, 'graphs') } });
    expect(a.layout).toMatchObject({ projection: 'linear', tokens: T, featureDim: E });
    const e = new Float32Array(2 * E);
    e.set(randomArray(E, 7), 0); // row 1 stays zero: the reference's unconditional embedding
    const out = await a.run({ data: e, dims: [2, E] });
    const flat = linear(e, 2, E, w['image_proj.proj.weight'].data, T * D, w['image_proj.proj.bias'].data);
    const tokens = layerNorm(flat, 2 * T, D, w['image_proj.norm.weight'].data, w['image_proj.norm.bias'].data);
    expect(maxAbsDiff(out.tokens.data as Float32Array, tokens)).toBeLessThan(1e-4);
    // Uncond tokens are the projection of zeros: LN(bias), not "no tokens".
    const zeroTokens = layerNorm(w['image_proj.proj.bias'].data, T, D, w['image_proj.norm.weight'].data, w['image_proj.norm.bias'].data);
    expect(maxAbsDiff(rows(out.tokens.data as Float32Array, 1, T * D), zeroTokens)).toBeLessThan(1e-4);
    checkKV(w, a, tokens, 2 * T, out.kv);
  });

  it('Resampler (ip-adapter-plus layout): perceiver layers against the reference', async () => {
    const E = 40, T = 6, N = 5, inner = 128, heads = 2, depth = 2;
    const shapes: Record<string, number[]> = {
      'image_proj.latents': [1, T, D], 'image_proj.proj_in.weight': [D, E], 'image_proj.proj_in.bias': [D],
      'image_proj.proj_out.weight': [D, D], 'image_proj.proj_out.bias': [D], 'image_proj.norm_out.weight': [D], 'image_proj.norm_out.bias': [D],
    };
    for (let i = 0; i < depth; i++) {
      const p = `image_proj.layers.${i}`;
      Object.assign(shapes, {
        [`${p}.0.norm1.weight`]: [D], [`${p}.0.norm1.bias`]: [D], [`${p}.0.norm2.weight`]: [D], [`${p}.0.norm2.bias`]: [D],
        [`${p}.0.to_q.weight`]: [inner, D], [`${p}.0.to_kv.weight`]: [2 * inner, D], [`${p}.0.to_out.weight`]: [D, inner],
        [`${p}.1.0.weight`]: [D], [`${p}.1.0.bias`]: [D], [`${p}.1.1.weight`]: [4 * D, D], [`${p}.1.3.weight`]: [D, 4 * D],
      });
    }
    const w = random({ ...shapes, ...perSite() });
    const file = join(dir, 'plus.safetensors');
    await writeSafetensors(file, w);
    const a = await loadIpAdapterFile(file, sites, D, { cache, threads: 1, placement: { cacheDir: join(dir, 'graphs') } });
    expect(a.layout).toMatchObject({ projection: 'resampler', tokens: T, featureDim: E, resampler: { depth, heads, dimHead: 64 } });
    const x = randomArray(N * E, 8);
    const out = await a.run({ data: x, dims: [1, N, E] });
    const get = (n: string) => w[n].data;
    const feats = linear(x, N, E, get('image_proj.proj_in.weight'), D, get('image_proj.proj_in.bias'));
    let lat = Float32Array.from(get('image_proj.latents'));
    for (let i = 0; i < depth; i++) {
      const p = `image_proj.layers.${i}`;
      const xn = layerNorm(feats, N, D, get(`${p}.0.norm1.weight`), get(`${p}.0.norm1.bias`));
      const ln = layerNorm(lat, T, D, get(`${p}.0.norm2.weight`), get(`${p}.0.norm2.bias`));
      const q = linear(ln, T, D, get(`${p}.0.to_q.weight`), inner);
      const kv = linear(Float32Array.from([...xn, ...ln]), N + T, D, get(`${p}.0.to_kv.weight`), 2 * inner);
      const k = new Float32Array((N + T) * inner), v = new Float32Array((N + T) * inner);
      for (let r = 0; r < N + T; r++) {
        k.set(kv.subarray(r * 2 * inner, r * 2 * inner + inner), r * inner);
        v.set(kv.subarray(r * 2 * inner + inner, (r + 1) * 2 * inner), r * inner);
      }
      // q and k each pre-scaled by d^-¼ in the reference: one logit scale of d^-½.
      const o = linear(mha(q, k, v, T, N + T, heads, 64), T, inner, get(`${p}.0.to_out.weight`), D);
      lat = lat.map((val, j) => val + o[j]);
      const h = linear(layerNorm(lat, T, D, get(`${p}.1.0.weight`), get(`${p}.1.0.bias`)), T, D, get(`${p}.1.1.weight`), 4 * D).map(gelu);
      const f = linear(h, T, 4 * D, get(`${p}.1.3.weight`), D);
      lat = lat.map((val, j) => val + f[j]);
    }
    const tokens = layerNorm(linear(lat, T, D, get('image_proj.proj_out.weight'), D, get('image_proj.proj_out.bias')), T, D, get('image_proj.norm_out.weight'), get('image_proj.norm_out.bias'));
    expect(maxAbsDiff(out.tokens.data as Float32Array, tokens)).toBeLessThan(1e-4);
    checkKV(w, a, tokens, T, out.kv);
  });
});
