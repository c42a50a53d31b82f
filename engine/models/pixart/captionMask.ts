import type { Attend, AttendOptions, ControllerGraphContext, ControllerPlan, QKV } from '../../controllers/controller.ts';
import type { AttentionSite } from '../../controllers/site.ts';
import { type GraphBuilder, type Value, MS_DOMAIN, float } from '../../graph/builder.ts';
import * as op from '../../graph/ops/index.ts';

/** Bias diffusers adds to the logits of padded caption tokens (not −∞; ORT's MHA uses the same). */
export const CAPTION_MASK_BIAS = -10000;

/** The caption mask in the forms the kernels take, made once per graph. */
export interface CaptionMaskValues {
  /** int32 [B, L], 1 = token, 0 = padding (MultiHeadAttention's key_padding_mask). */
  keyPadding: Value;
  /** Additive bias [B, 1, 1, L] in the compute type: 0 for tokens, −10000 for padding. */
  bias: Value;
}

/** Both forms from the graph's int64 mask input [B, L]. */
export function captionMaskValues(g: GraphBuilder, mask: Value): CaptionMaskValues {
  const keyPadding = op.cast(g, mask, 'int32');
  const m = op.cast(g, mask, g.computeType);
  const bias = op.unsqueeze(g, op.mul(g, op.sub(g, 1, m), CAPTION_MASK_BIAS), [1, 2]);
  return { keyPadding, bias };
}

/**
 * Cross-attention with the padded caption tokens masked out, as the innermost plan of the
 * chain: every controller's `replaceAttention` still wraps it through `next`, and it honours
 * the logit scale they pass. It exists because the attention-site call has no key mask yet;
 * controllers that materialise maps (`ctx.probs`) or slice batch rows do not see the mask.
 */
export function captionMaskPlan(mask: CaptionMaskValues): ControllerPlan {
  return Object.freeze({
    name: 'pixart-caption-mask',
    priority: Number.MAX_SAFE_INTEGER,
    conflicts: [],
    signature: '',
    inputs: [],
    outputs: [],
    appliesTo: (site: AttentionSite) => site.kind === 'cross',
    replaceAttention: (ctx: ControllerGraphContext, site: AttentionSite, qkv: QKV, _next: Attend, opts: AttendOptions) => maskedAttention(ctx, site, qkv, mask, opts),
  });
}

function maskedAttention(ctx: ControllerGraphContext, site: AttentionSite, { q, k, v }: QKV, mask: CaptionMaskValues, opts: AttendOptions): Value {
  const g = ctx.g;
  const scale = opts.scale ?? 1 / Math.sqrt(site.dimHead);
  const name = `${site.path}/attention`;
  if (ctx.kernel === 'fused') {
    return g.op('MultiHeadAttention', [q, k, v, null, mask.keyPadding], {
      num_heads: site.heads, scale: float(scale), mask_filter_value: float(CAPTION_MASK_BIAS),
    }, { domain: MS_DOMAIN, name });
  }
  const bias = op.cast(g, mask.bias, q.dtype);
  if (ctx.kernel === 'onnx') {
    g.requireOpset(23);
    // The opset-23 kernel wants the mask's query axis spelled out: [B, 1, S, L].
    const full = op.expand(g, bias, op.concat(g, [op.shapeOf(g, bias, 0, 2), op.shapeOf(g, q, 1, 2), op.shapeOf(g, bias, 3, 4)], 0));
    return g.op('Attention', [q, k, v, full], { q_num_heads: site.heads, kv_num_heads: site.heads, scale: float(scale) }, { name });
  }
  const heads = (x: Value, perm: number[]) => op.transpose(g, op.reshape(g, x, [0, 0, site.heads, -1]), perm);
  const logits = op.matmul(g, op.mul(g, heads(q, [0, 2, 1, 3]), g.scalar(scale, q.dtype)), heads(k, [0, 2, 3, 1])); // [B, H, S, L]
  const probs = op.softmax(g, op.add(g, logits, bias));
  return ctx.applyProbs(site, probs, v);
}
