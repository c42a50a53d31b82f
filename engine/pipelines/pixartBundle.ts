import type { ProviderPreference } from '../graph/provider.ts';
import { SessionCache } from '../graph/session.ts';
import { loadPixArt, pixartNullCaption } from '../models/pixart/runner.ts';
import type { PixArtPipelineSpec } from '../models/spec.ts';
import { T5Encoder } from '../models/t5/encoder.ts';
import { t5TokenizerFor } from '../models/t5/tokenizer.ts';
import type { Denoiser } from '../denoiser/denoiser.ts';
import type { Conditioner } from './conditioner.ts';
import { t5Conditioner } from './t5Conditioner.ts';

/** T5 weights above this stay loaded only while a prompt pair is encoded (T5-XXL: yes; small test encoders: no). */
const FREE_T5_ABOVE = 2 * 2 ** 30;

/** The family-specific parts of a PixArt bundle: its transformer as a Denoiser and the T5 conditioner. */
export async function loadPixArtParts(spec: PixArtPipelineSpec, rt: { threads?: number; provider?: ProviderPreference }): Promise<{ denoiser: Denoiser; conditioner: Conditioner }> {
  const [t5] = spec.textEncoders;
  const tokenizer = await t5TokenizerFor(t5);
  // Compiled lazily, at the first prompt, in a cache of its own: a full-size T5 (8.9 GiB in fp16) is the
  // largest network of the pipeline, so past FREE_T5_ABOVE it is released after each prompt pair.
  const cache = new SessionCache({ ...(rt.threads ? { intraOpNumThreads: rt.threads } : {}), maxEntries: 1 });
  const encoder = new T5Encoder(t5, { ...(rt.threads ? { threads: rt.threads } : {}), ...(rt.provider ? { provider: rt.provider } : {}), cache });
  const weightBytes = t5.weights.entries().reduce((n, [, info]) => n + info.shape.reduce((a, d) => a * d, 1) * (info.dtype === 'F32' ? 4 : 2), 0);
  const denoiser = await loadPixArt(spec.transformer, { runtime: rt });
  // Only α's official sampler guides on the learned caption; Σ's encodes "" with T5 even where its file keeps one (ALGORITHMS-2 §1.6).
  const nullCaption = spec.variant === 'alpha' ? await pixartNullCaption(spec.transformer) : undefined;
  return {
    denoiser,
    conditioner: t5Conditioner(encoder, tokenizer, {
      maxTokens: spec.maxTokens,
      ...(nullCaption ? { nullCaption } : {}),
      ...(weightBytes > FREE_T5_ABOVE ? { afterEncode: () => cache.clear() } : {}),
    }),
  };
}
