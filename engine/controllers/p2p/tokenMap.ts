import { StudioError } from '../../api/errors.ts';
import { type PromptTokens, tokensOfWords } from './wordTokens.ts';

/**
 * Word-swap token map M (length × length, row = source position w, column = target
 * position n): the source's attention to w is what the target's token n receives.
 * The prompts must have the same number of words; words that differ are swapped, and a
 * swapped word of a different token count spreads its attention evenly over the new tokens.
 * Unlike the reference, the tail after the last swap pairs source i with target j (the
 * reference writes M[j, j], misaligning the tail when token counts differ).
 */
export function replacementMap(source: PromptTokens, target: PromptTokens): Float32Array {
  const L = source.length;
  if (source.words.length !== target.words.length) {
    throw new StudioError(
      'INVALID_REQUEST',
      `Word swap needs prompts with the same number of words (${source.words.length} and ${target.words.length}); use refinement to add or remove words`,
      { source: source.text, target: target.text },
    );
  }
  const swaps: { src: number[]; tgt: number[] }[] = [];
  source.words.forEach((w, k) => {
    if (w !== target.words[k]) swaps.push({ src: tokensOfWords(source, [k]), tgt: tokensOfWords(target, [k]) });
  });
  const M = new Float32Array(L * L);
  let i = 0, j = 0, s = 0;
  while (i < L && j < L) {
    const swap = swaps[s];
    if (swap && swap.src[0] === i) {
      if (swap.src.length === swap.tgt.length) swap.src.forEach((w, k) => (M[w * L + swap.tgt[k]] = 1));
      else for (const w of swap.src) for (const n of swap.tgt) M[w * L + n] = 1 / swap.tgt.length;
      i += swap.src.length;
      j += swap.tgt.length;
      s++;
    } else {
      M[i * L + j] = 1;
      i++;
      j++;
    }
  }
  return M;
}
