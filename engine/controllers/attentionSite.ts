import { StudioError } from '../api/errors.ts';
import type { GraphBuilder, Value } from '../graph/builder.ts';
import type { BoundChain } from './chain.ts';
import type { AttentionSite } from './site.ts';

/**
 * The one place every attention layer of a network passes through: behaviour comes from
 * the controller chain, the kernel (fused / onnx / explicit) from the chain's build options.
 * With an empty chain this is exactly one fused MultiHeadAttention node.
 * q [B, S, H·d], k [B, L, H·d], v [B, L, H·dv] → [B, S, H·dv].
 */
export function attentionSite(g: GraphBuilder, site: AttentionSite, q: Value, k: Value, v: Value, chain: BoundChain): Value {
  if (chain.g !== g) throw new StudioError('RUNTIME_FAILURE', `Attention site ${site.path}: controller chain is bound to another graph`);
  return g.within(site.path, () => chain.attend(site, { q, k, v }));
}
