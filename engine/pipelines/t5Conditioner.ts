import type { Conditioning, Tensor } from '../denoiser/denoiser.ts';
import type { T5Encoder } from '../models/t5/encoder.ts';
import { t5Prompt } from '../models/t5/promptTokens.ts';
import type { SentencePieceTokenizer } from '../tokenizer/sentencepiece/tokenizer.ts';
import type { Conditioner } from './conditioner.ts';

export interface T5ConditionerOptions {
  /** Caption tokens (EOS included, padded): PixArt-α 120, Σ 300. */
  maxTokens: number;
  /** The transformer's learned null caption [L, captionChannels] (α official), when the checkpoint has one. */
  nullCaption?: Tensor;
  /** Called after each new prompt pair is encoded: a full-size T5 frees its session here, so sampling holds only the DiT. */
  afterEncode?: () => Promise<void>;
}

const maskTensor = (mask: readonly number[]): Tensor => ({ data: Float32Array.from(mask), dims: [1, mask.length] });

/**
 * PixArt's conditioning: T5 states of the lower-cased prompt with its padding mask.
 * The unconditional row follows the reference that matches what the user holds
 * (ALGORITHMS-2 §1.6): with an empty negative prompt and a checkpoint that carries the
 * learned `y_embedding` (original PixArt files), the official sampler's null caption under
 * the prompt's mask; otherwise (diffusers folders drop y_embedding, or a negative prompt
 * was typed) T5 of the negative with its own mask, as the diffusers pipelines do.
 */
export function t5Conditioner(encoder: T5Encoder, tokenizer: SentencePieceTokenizer, o: T5ConditionerOptions): Conditioner {
  const L = o.maxTokens;
  const learned = o.nullCaption && o.nullCaption.dims[0] === L ? o.nullCaption : undefined;
  // The last pair's rows: the next image of the same prompts (a new seed, img2img, inpaint) does not run T5 again.
  let last: { key: string; rows: Promise<{ cond: Conditioning; uncond: Conditioning }> } | undefined;
  const encode = async (prompt: string, negative: string) => {
      const p = t5Prompt(tokenizer, prompt, L);
      const useLearned = learned !== undefined && negative.trim() === '';
      const n = useLearned ? undefined : t5Prompt(tokenizer, negative, L);
      // One batch: a full-size T5 is run once per request, not once per branch.
      const states = await encoder.encodePrompts(n ? [p, n] : [p]);
      const D = states.dims[2];
      const row = (i: number): Tensor => ({ data: states.data.subarray(i * L * D, (i + 1) * L * D), dims: [1, L, D] });
      const cond: Conditioning = { context: row(0), contextMask: maskTensor(p.mask) };
      const uncond: Conditioning = n
        ? { context: row(1), contextMask: maskTensor(n.mask) }
        : { context: { data: learned!.data, dims: [1, L, learned!.dims[1]] }, contextMask: maskTensor(p.mask) };
      await o.afterEncode?.();
      return { cond, uncond };
  };
  return {
    encoders: ['T5 text encoder'],
    encode(prompt, negative) {
      const key = JSON.stringify([prompt, negative]);
      if (last?.key !== key) {
        const rows = encode(prompt, negative);
        rows.catch(() => (last = undefined));
        last = { key, rows };
      }
      return last.rows;
    },
  };
}
