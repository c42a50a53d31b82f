import { StudioError } from '../../api/errors.ts';
import type { TensorInfo } from '../../safetensors/types.ts';
import type { AttentionSite } from '../site.ts';

/**
 * Key layout of an IP-Adapter file as people hold them (ALGORITHMS §3.3): flat
 * `.safetensors` keys `image_proj.*` (the projection of the CLIP image features into
 * context tokens) and `ip_adapter.{k}.to_k_ip.weight` / `.to_v_ip.weight` (one pair per
 * cross-attention layer, k odd, in diffusers' `unet.attn_processors` order).
 */
export type ProjectionKind = 'linear' | 'resampler';

export interface AdapterLayout {
  /** `linear`: ip-adapter_sd15 (ImageProjModel, global embedding); `resampler`: the plus variants. */
  readonly projection: ProjectionKind;
  /** Image tokens per image (4 base, 16 plus). */
  readonly tokens: number;
  /** Width of the tokens = the UNet's cross-attention (context) width. */
  readonly contextDim: number;
  /** Width of the image feature the projection takes (1024 image_embeds, 1280 hidden states). */
  readonly featureDim: number;
  /** Resampler depth and heads (plus only). */
  readonly resampler?: { depth: number; heads: number; dimHead: number };
  /** The per-layer key indices k present in the file, ascending. */
  readonly layerKeys: readonly number[];
}

/** The Resampler's head width in every published IP-Adapter (dim_head 64); heads follow from to_q's width. */
export const RESAMPLER_DIM_HEAD = 64;

type Tensors = ReadonlyMap<string, TensorInfo>;

const incomplete = (file: string, missing: string[]) =>
  new StudioError('CHECKPOINT_INCOMPLETE', `${file}: not a complete IP-Adapter — missing ${missing.join(', ')}`, { file, missing });

function need(t: Tensors, file: string, names: string[]): TensorInfo[] {
  const missing = names.filter((n) => !t.has(n));
  if (missing.length) throw incomplete(file, missing);
  return names.map((n) => t.get(n)!);
}

/** Reads the adapter's kind and sizes from the header alone; missing keys are listed. */
export function adapterLayout(t: Tensors, file: string): AdapterLayout {
  const layerKeys = [...new Set([...t.keys()].flatMap((k) => /^ip_adapter\.(\d+)\.to_[kv]_ip\.weight$/.exec(k)?.[1] ?? []).map(Number))].sort((a, b) => a - b);
  if (!layerKeys.length && ![...t.keys()].some((k) => k.startsWith('image_proj.'))) {
    throw new StudioError('CHECKPOINT_UNSUPPORTED', `${file} is not an IP-Adapter (no image_proj.* or ip_adapter.* keys)`, { file });
  }
  if (!layerKeys.length) throw incomplete(file, ['ip_adapter.1.to_k_ip.weight', 'ip_adapter.1.to_v_ip.weight', '…']);
  if (t.has('image_proj.latents')) {
    const [latents, projIn, toQ] = need(t, file, ['image_proj.latents', 'image_proj.proj_in.weight', 'image_proj.layers.0.0.to_q.weight']);
    need(t, file, ['image_proj.proj_out.weight', 'image_proj.norm_out.weight', 'image_proj.norm_out.bias']);
    let depth = 0;
    while (t.has(`image_proj.layers.${depth}.0.to_q.weight`)) depth++;
    const contextDim = latents.shape[latents.shape.length - 1];
    const inner = toQ.shape[0];
    if (inner % RESAMPLER_DIM_HEAD !== 0) throw new StudioError('CHECKPOINT_UNSUPPORTED', `${file}: Resampler width ${inner} is not a multiple of ${RESAMPLER_DIM_HEAD}`);
    for (let i = 0; i < depth; i++) {
      const p = `image_proj.layers.${i}`;
      need(t, file, [`${p}.0.norm1.weight`, `${p}.0.norm2.weight`, `${p}.0.to_kv.weight`, `${p}.0.to_out.weight`, `${p}.1.0.weight`, `${p}.1.1.weight`, `${p}.1.3.weight`]);
    }
    return {
      projection: 'resampler', tokens: latents.shape[latents.shape.length - 2], contextDim, featureDim: projIn.shape[1],
      resampler: { depth, heads: inner / RESAMPLER_DIM_HEAD, dimHead: RESAMPLER_DIM_HEAD }, layerKeys,
    };
  }
  const [proj, norm] = need(t, file, ['image_proj.proj.weight', 'image_proj.norm.weight', 'image_proj.proj.bias', 'image_proj.norm.bias']);
  const contextDim = norm.shape[0];
  if (proj.shape[0] % contextDim !== 0) throw new StudioError('CHECKPOINT_UNSUPPORTED', `${file}: image_proj.proj gives ${proj.shape[0]} values, not a whole number of ${contextDim}-wide tokens`);
  return { projection: 'linear', tokens: proj.shape[0] / contextDim, contextDim, featureDim: proj.shape[1], layerKeys };
}

/** One cross-attention site with the adapter layer that serves it. */
export interface SiteBinding {
  readonly site: AttentionSite;
  /** k in `ip_adapter.{k}.*`. */
  readonly key: number;
}

/**
 * The adapter numbers its layers by diffusers' `unet.attn_processors` order, which the
 * family states as each site's `processorOrder` (for the LDM UNet: down blocks, then **up**
 * blocks, then the mid block, attn1 before attn2 — so cross site r is processor 2r + 1).
 */
export function processorOrder(sites: readonly AttentionSite[]): SiteBinding[] {
  const cross = sites.filter((s) => s.kind === 'cross');
  const missing = cross.find((s) => s.tags.processorOrder === undefined);
  if (missing) throw new StudioError('INVALID_REQUEST', `IP-Adapter: this network does not say which adapter layer serves ${missing.path}`);
  return [...cross].sort((a, b) => a.tags.processorOrder! - b.tags.processorOrder!).map((site) => ({ site, key: site.tags.processorOrder! }));
}

/**
 * Binds the adapter's layers to the UNet's cross-attention sites and refuses an adapter made
 * for another model: wrong context width, another number of layers, or widths that differ.
 */
export function bindAdapter(t: Tensors, file: string, layout: AdapterLayout, sites: readonly AttentionSite[], contextDim: number): SiteBinding[] {
  if (layout.contextDim !== contextDim) {
    throw new StudioError('INVALID_REQUEST', `${file} makes ${layout.contextDim}-wide image tokens but this model's cross-attention takes ${contextDim} (an IP-Adapter for another base model)`, {
      file, adapterContextDim: layout.contextDim, modelContextDim: contextDim,
    });
  }
  const bindings = processorOrder(sites);
  const expected = bindings.map((b) => b.key);
  const extra = layout.layerKeys.filter((k) => !expected.includes(k));
  if (extra.length) {
    throw new StudioError('INVALID_REQUEST', `${file} has layers ${extra.join(', ')} that this model's ${bindings.length} cross-attention sites do not have (an IP-Adapter for another architecture)`, { file, extra });
  }
  const missing = bindings.flatMap((b) => [`ip_adapter.${b.key}.to_k_ip.weight`, `ip_adapter.${b.key}.to_v_ip.weight`]).filter((k) => !t.has(k));
  if (missing.length) throw incomplete(file, missing);
  for (const b of bindings) {
    for (const kv of ['k', 'v']) {
      const shape = t.get(`ip_adapter.${b.key}.to_${kv}_ip.weight`)!.shape;
      if (shape.length !== 2 || shape[0] !== b.site.channels || shape[1] !== contextDim) {
        throw new StudioError('INVALID_REQUEST', `${file}: ip_adapter.${b.key}.to_${kv}_ip.weight is [${shape.join(', ')}], the site ${b.site.path} needs [${b.site.channels}, ${contextDim}]`, {
          file, key: `ip_adapter.${b.key}.to_${kv}_ip.weight`, shape,
        });
      }
    }
  }
  return bindings;
}
