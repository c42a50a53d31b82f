import { StudioError } from '../../api/errors.ts';
import { checkpointIdentity } from '../../graph/identity.ts';
import { Network, type NetworkGraph, type NetworkRuntime } from '../../graph/network.ts';
import type { HostTensor } from '../../graph/session.ts';
import { readSafetensorsHeader } from '../../safetensors/header.ts';
import type { TensorInfo } from '../../safetensors/types.ts';
import type { WeightScope } from '../../nn/types.ts';
import type { AttentionSite } from '../site.ts';
import { buildIpAdapterGraph } from './graph.ts';
import { type AdapterLayout, type SiteBinding, adapterLayout, bindAdapter } from './layout.ts';

export type AdapterRuntime = NetworkRuntime;

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
  const network = new Network(checkpointIdentity([path]), `ip-adapter:${layout.projection}`, runtime);
  const graph: NetworkGraph = {
    signature: bindings.map((b) => `${b.key}@${b.site.path}`).join(','),
    build: (computeType) => buildIpAdapterGraph(w, layout, bindings, computeType),
  };
  return {
    path,
    layout,
    bindings,
    async run(features) {
      const out = await network.run(graph, { features });
      return {
        tokens: out.tokens,
        kv: bindings.map((_, i) => ({ k: out[`k${i}`].data as Float32Array, v: out[`v${i}`].data as Float32Array })),
      };
    },
  };
}
