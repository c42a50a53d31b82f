/**
 * Pre-tokenisation: the CLIP regex that cuts a normalised word into the chunks the BPE encodes one by one.
 *
 * Python (`regex` module, IGNORECASE):
 *   <\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+
 * - a run of letters is one chunk, every digit is its own chunk, a run of other symbols is one chunk;
 * - the contraction suffixes are tried before letters, so `dog's` -> `dog`, `'s`;
 * - combining marks (Mn/Mc) are not letters: `i̇` (i + U+0307) -> `i`, `̇`.
 * The JS flags `giu` give the same semantics: `\p{…}` classes with simple case folding under `i`.
 *
 * No chunk contains whitespace, so running the regex word by word equals running it on the words joined
 * with spaces — and tells directly which word each chunk came from.
 */

export const CLIP_PRETOKENIZE_PATTERN =
  "<\\|startoftext\\|>|<\\|endoftext\\|>|'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|[^\\s\\p{L}\\p{N}]+";

const CLIP_REGEX = new RegExp(CLIP_PRETOKENIZE_PATTERN, 'giu');

/** The regex chunks of one word (or any text), in order. */
export function pretokenize(text: string): string[] {
  return Array.from(text.matchAll(CLIP_REGEX), (m) => m[0]);
}

/** One pre-token chunk and the index of the word it came from. */
export interface PreToken {
  text: string;
  wordIndex: number;
}

/** Pre-tokenises every word, keeping the word index of each chunk. */
export function pretokenizeWords(words: readonly string[]): PreToken[] {
  const out: PreToken[] = [];
  words.forEach((word, wordIndex) => {
    for (const text of pretokenize(word)) out.push({ text, wordIndex });
  });
  return out;
}
