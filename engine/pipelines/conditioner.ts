import type { Conditioning } from '../denoiser/denoiser.ts';
import type { TextEncoder } from '../models/clip/textEncoder.ts';
import type { CLIPTokenizer } from '../tokenizer/clip-tokenizer.ts';

/**
 * What a family turns a prompt pair into for classifier-free guidance: one Conditioning
 * row for the prompt and one for the negative (or null caption), of the same token count,
 * so guidedModel can batch them as [uncond, cond].
 */
export interface Conditioner {
  /** The encoders' names, for errors and the model list. */
  readonly encoders: readonly string[];
  encode(prompt: string, negative: string): Promise<{ cond: Conditioning; uncond: Conditioning }>;
}

/** SD's CLIP conditioning: A1111's 75-token chunks, the shorter side padded with empty chunks. */
export function clipConditioner(textEncoder: TextEncoder, tokenizer: CLIPTokenizer): Conditioner {
  return {
    encoders: ['CLIP text encoder'],
    async encode(prompt, negative) {
      const [cond, uncond] = await textEncoder.padToSameChunks(
        [await textEncoder.encodePrompt(prompt, tokenizer), await textEncoder.encodePrompt(negative, tokenizer)],
        tokenizer,
      );
      return { cond: { context: cond }, uncond: { context: uncond } };
    },
  };
}
