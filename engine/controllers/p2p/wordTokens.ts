import { StudioError } from '../../api/errors.ts';
import type { CLIPTokenizer } from '../../tokenizer/clip-tokenizer.ts';

/** One prompt as the UNet's cross-attention sees it: a single window of `length` tokens. */
export interface PromptTokens {
  readonly text: string;
  /** BOS, the prompt's tokens, EOS, padding: exactly `length` ids. */
  readonly ids: readonly number[];
  /** BOS + tokens + EOS (what sequence alignment compares). */
  readonly content: readonly number[];
  /** The tokenizer's normalised words. */
  readonly words: readonly string[];
  /** Per window position, the word it came from; -1 for BOS, EOS and padding. */
  readonly tokenWord: readonly number[];
  readonly length: number;
}

/**
 * Tokenises a prompt for editing. Token maps and reweighting vectors are one window wide,
 * so a prompt that needs a second chunk is refused rather than silently cut.
 */
export function promptTokens(tokenizer: CLIPTokenizer, text: string): PromptTokens {
  const e = tokenizer.encode(text);
  if (e.truncated) {
    throw new StudioError('INVALID_REQUEST', `Prompt editing works on prompts of up to ${tokenizer.maxLength - 2} tokens; "${text.slice(0, 60)}…" has ${e.numTokensUntruncated}`);
  }
  const tokenWord = new Array<number>(e.ids.length).fill(-1);
  e.tokenWordIndex.forEach((w, i) => (tokenWord[i + 1] = w));
  return {
    text,
    ids: e.ids,
    content: e.ids.slice(0, e.tokens.length + 2),
    words: e.words,
    tokenWord,
    length: e.ids.length,
  };
}

/** Punctuation glued to a word ("burger.") should not stop a user from naming it. */
const bare = (w: string) => w.replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu, '');

/** Positions of the prompt's words that spell `phrase` (every occurrence), or [] if none. */
export function findWords(tokenizer: CLIPTokenizer, p: PromptTokens, phrase: string): number[] {
  const wanted = tokenizer.normalize(phrase).map(bare).filter(Boolean);
  if (!wanted.length) return [];
  const words = p.words.map(bare);
  const out: number[] = [];
  for (let i = 0; i + wanted.length <= words.length; i++) {
    if (wanted.every((w, j) => words[i + j] === w)) for (let j = 0; j < wanted.length; j++) out.push(i + j);
  }
  return out;
}

/** Window positions of the tokens of the given word positions. */
export function tokensOfWords(p: PromptTokens, wordIndices: readonly number[]): number[] {
  const set = new Set(wordIndices);
  const out: number[] = [];
  p.tokenWord.forEach((w, i) => {
    if (w >= 0 && set.has(w)) out.push(i);
  });
  return out;
}

/**
 * Window positions of `phrase`'s tokens in the prompt. Uses the tokenizer's own
 * token → word record rather than re-deriving it from character lengths.
 */
export function phraseTokens(tokenizer: CLIPTokenizer, p: PromptTokens, phrase: string, what = 'prompt'): number[] {
  const tokens = tokensOfWords(p, findWords(tokenizer, p, phrase));
  if (!tokens.length) {
    throw new StudioError('INVALID_REQUEST', `"${phrase}" is not a word of the ${what} "${p.text}"`, { word: phrase, prompt: p.text });
  }
  return tokens;
}
