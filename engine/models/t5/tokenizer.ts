import { join } from 'node:path';
import { PACKAGE_ROOT } from '../../paths.ts';
import { SentencePieceTokenizer } from '../../tokenizer/sentencepiece/tokenizer.ts';

/** T5 v1.1's spiece.model, shipped because single-file t5xxl encoders carry no tokenizer. */
export const BUNDLED_T5_TOKENIZER = join(PACKAGE_ROOT, 'assets', 't5-tokenizer', 'spiece.model');

/** Tokens per prompt the PixArt models were trained with (T5 ids + EOS, padded). */
export const PIXART_MAX_LENGTH = { alpha: 120, sigma: 300 } as const;

const cache = new Map<string, Promise<SentencePieceTokenizer>>();

/** The model's own spiece.model when it has one, else the bundled T5 one; loaded once per file. */
export function t5TokenizerFor(source: { tokenizerFile?: string } = {}): Promise<SentencePieceTokenizer> {
  const file = source.tokenizerFile ?? BUNDLED_T5_TOKENIZER;
  let t = cache.get(file);
  if (!t) {
    t = SentencePieceTokenizer.fromFile(file);
    t.catch(() => cache.delete(file));
    cache.set(file, t);
  }
  return t;
}

/** Python's str.isspace() set, which `strip()` removes (JS trim() differs on U+FEFF and U+001C–U+001F, U+0085). */
const PY_SPACE = '[\\t-\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]';
const PY_STRIP = new RegExp(`^${PY_SPACE}+|${PY_SPACE}+$`, 'gu');

/** What the PixArt pipelines tokenise with clean_caption=False: `text.lower().strip()`. */
export function pixartPromptText(text: string): string {
  return text.toLowerCase().replace(PY_STRIP, '');
}
