import { StudioError } from '../../api/errors.ts';
import { checkpointIdentity } from '../../graph/identity.ts';
import type { PlacementOptions } from '../../graph/placement.ts';
import type { ProviderPreference } from '../../graph/provider.ts';
import { type HostTensor, type SessionCache, runSession, sessionCache } from '../../graph/session.ts';
import { readSafetensorsHeader } from '../../safetensors/header.ts';
import type { TensorInfo } from '../../safetensors/types.ts';
import type { WeightScope } from '../../nn/types.ts';
import type { AttentionSite } from '../site.ts';
import { buildIpAdapterGraph } from './graph.ts';
import { type AdapterLayout, type SiteBinding, adapterLayout, bindAdapter } from './layout.ts';

export interface AdapterRuntime {
  threads?: number;
  provider?: ProviderPreference;
  placement?: PlacementOptions;
  cache?: SessionCache;
}

/** Per binding, keys and values of every batch row: [B, T, C] flattened. */
export interface AdapterKV {
  tokens: HostTensor;
  kv: Array<{ k: Float32Array; v: Float32Array }>;
}

export interface IpAdapterFile {
  readonly path: string;
  readonly layout: AdapterLayout;
  readonly bindings: readonly SiteBinding[];
  /** Image features [B, featureDim] or [B, N, featureDim] → tokens and every site's K/V. */
  run(features: HostTensor): Promise<AdapterKV>;
}

/** A WeightScope over a header's tensor map (the adapter is its own file, not part of the checkpoint). */
function scopeOf(tensors: ReadonlyMap<string, TensorInfo>, file: string, prefix = ''): WeightScope {
  const full = (n: string) => (prefix ? (n ? `${prefix}.${n}` : prefix) : n);
  return {
    prefix,
    scope: (p) => scopeOf(tensors, file, full(p)),
    has: (n) => tensors.has(full(n)),
    get: (n) => {
      const t = tensors.get(full(n));
      if (!t) throw new StudioError('CHECKPOINT_INCOMPLETE', `${file}: missing weight "${full(n)}"`, { file, missing: [full(n)] });
      return t;
    },
  };
}

/**
 * Opens an IP-Adapter `.safetensors` (header only), checks it against the UNet's sites and
 * context width, and returns a runner of its projection + K/V graph (weights stay in the file).
 */
export async function loadIpAdapterFile(path: string, sites: readonly AttentionSite[], contextDim: number, runtime: AdapterRuntime = {}): Promise<IpAdapterFile> {
  if (/\.(bin|pt|pth|ckpt)$/i.test(path)) {
    throw new StudioError('CHECKPOINT_UNSUPPORTED', `${path}: pickled IP-Adapter files are not read (they can run code); use the .safetensors release`, { path });
  }
  const header = await readSafetensorsHeader(path);
  const layout = adapterLayout(header.tensors, path);
  const bindings = bindAdapter(header.tensors, path, layout, sites, contextDim);
  const w = scopeOf(header.tensors, path);
  const key = {
    checkpoint: checkpointIdentity([path]),
    architecture: `ip-adapter:${layout.projection}`,
    signature: bindings.map((b) => `${b.key}@${b.site.path}`).join(','),
  };
  const opts = {
    ...(runtime.threads ? { intraOpNumThreads: runtime.threads } : {}),
    ...(runtime.provider ? { provider: runtime.provider } : {}),
    ...(runtime.placement ? { placement: runtime.placement } : {}),
  };
  return {
    path,
    layout,
    bindings,
    async run(features) {
      const s = await (runtime.cache ?? sessionCache).get(key, (ctx) => buildIpAdapterGraph(w, layout, bindings, ctx.computeType), opts);
      const out = await runSession(s, { features });
      return {
        tokens: out.tokens,
        kv: bindings.map((_, i) => ({ k: out[`k${i}`].data as Float32Array, v: out[`v${i}`].data as Float32Array })),
      };
    },
  };
}
