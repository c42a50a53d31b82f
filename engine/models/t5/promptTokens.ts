import { StudioError } from '../../api/errors.ts';
import { parsePromptWeights, type WordWeight } from '../../controllers/p2p/promptWeights.ts';
import type { PromptTokens } from '../../controllers/p2p/wordTokens.ts';
import type { SentencePieceTokenizer } from '../../tokenizer/sentencepiece/tokenizer.ts';
import { pixartPromptText } from './tokenizer.ts';

/**
 * A prompt as T5 sees it, in the shape prompt editing uses for CLIP windows
 * (`PromptTokens`): no BOS, so `content` is the pieces plus EOS.
 */
export interface T5Prompt extends PromptTokens {
  /** 1 on the pieces and EOS, 0 on padding. */
  readonly mask: readonly number[];
  /** Per position, the `(word:w)` multiplier of the word it spells (1 elsewhere, padding too). */
  readonly weights: Float32Array;
  readonly truncated: boolean;
}

export interface T5PromptOptions {
  /** PixArt's `lower().strip()` before tokenising (default true); false for generic T5 users (SD3, Flux). */
  lowercase?: boolean;
  /** Weights from elsewhere (the command line), applied after the inline ones. */
  wordWeights?: readonly WordWeight[];
}

/** Punctuation glued to a word ("cat.") should not stop a user from naming it. */
const bare = (w: string) => w.replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu, '');

/**
 * Tokenises a prompt for T5 with A1111's `(words:1.3)` syntax: the syntax is removed before
 * tokenising and each weight lands on every SentencePiece piece of its words — a word is a
 * `▁`-led piece and the pieces after it (`▁`, `a` for "a"), as the normaliser spells it.
 */
export function t5Prompt(tokenizer: SentencePieceTokenizer, prompt: string, maxLength: number, opts: T5PromptOptions = {}): T5Prompt {
  const parsed = parsePromptWeights(prompt);
  const prep = (s: string) => (opts.lowercase === false ? s : pixartPromptText(s));
  const e = tokenizer.encode(prep(parsed.text), maxLength);
  const tokenWord = new Array<number>(maxLength).fill(-1);
  e.tokenWordIndex.forEach((w, i) => (tokenWord[i] = w));
  const weights = new Float32Array(maxLength).fill(1);
  const words = e.words.map(bare);
  for (const { word, weight } of [...parsed.weights, ...(opts.wordWeights ?? [])]) {
    const wanted = tokenizer.words(prep(word)).map(bare).filter(Boolean);
    let hits = 0;
    for (let i = 0; wanted.length && i + wanted.length <= words.length; i++) {
      if (!wanted.every((w, j) => words[i + j] === w)) continue;
      tokenWord.forEach((wi, n) => {
        if (wi >= i && wi < i + wanted.length) {
          weights[n] = weight;
          hits++;
        }
      });
    }
    if (!hits) throw new StudioError('INVALID_REQUEST', `"${word}" is not a word of the prompt "${parsed.text}" (or was cut off at ${maxLength - 1} tokens)`, { word, prompt: parsed.text });
  }
  const kept = e.tokens.length;
  return {
    text: parsed.text,
    ids: e.ids,
    content: e.ids.slice(0, kept + 1),
    words: e.words,
    tokenWord,
    length: maxLength,
    mask: e.attentionMask,
    weights,
    truncated: e.truncated,
  };
}
