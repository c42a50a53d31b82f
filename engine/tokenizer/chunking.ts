/**
 * Prompt chunking for prompts longer than one CLIP window (maxLength - 2 = 75 tokens), following what
 * AUTOMATIC1111's webui does (`comma_padding_backtrack`, default 20):
 *
 * The untruncated token stream (no BOS/EOS) is cut greedily from the start into chunks of at most
 * `chunkSize = maxLength - 2` tokens:
 * - if the rest of the stream fits (≤ chunkSize tokens), it is the last chunk;
 * - otherwise the chunk would be full (chunkSize tokens) and more tokens follow. Let `c` be the last
 *   position in that full window holding the comma token (exactly the id of `,</w>` — merged tokens such as
 *   `),</w>` or `,,</w>` do not count, as in A1111). If such a `c` exists, the token right after the window
 *   is NOT itself a comma, and `chunkSize - (c - start) <= commaBacktrack`, the chunk ends just after the
 *   comma (the comma stays at the end of this chunk) and the following tokens move to the next chunk.
 *   Otherwise the chunk takes the full chunkSize tokens.
 * `commaBacktrack` is clamped to [0, chunkSize - 1]; 0 disables the comma rule (plain 75-token split).
 *
 * Each chunk is then wrapped as BOS, tokens, EOS and padded with the pad id up to maxLength (A1111 pads
 * SD 1.x chunks with EOS, which is our default pad), so N chunks give N×maxLength ids; the text encoder
 * runs on each chunk separately and the hidden states are concatenated along the sequence axis.
 * An empty prompt gives one chunk (BOS, EOS, padding). A1111's `BREAK` keyword and textual-inversion
 * embeddings are prompt-parser concerns and are not handled here.
 */

/** One encoder window of a long prompt. */
export interface PromptChunk {
  /** maxLength ids: BOS, this chunk's tokens, EOS, padding. */
  ids: number[];
  /** 1 for BOS/tokens/EOS, 0 for padding. */
  attentionMask: number[];
  /** The chunk's BPE token strings (no specials); `tokens[i]` is `ids[1 + i]`. */
  tokens: string[];
  /** For each token, the index into the prompt's `words` it came from. */
  tokenWordIndex: number[];
  /** Position of this chunk's first token in the untruncated token stream. */
  tokenOffset: number;
}

/** The untruncated token stream of a prompt. */
export interface TokenStream {
  ids: readonly number[];
  tokens: readonly string[];
  tokenWordIndex: readonly number[];
}

export interface ChunkLayout {
  maxLength: number;
  bosId: number;
  eosId: number;
  padId: number;
  /** Id of the `,</w>` token, or undefined when the vocabulary has none (comma rule then disabled). */
  commaId: number | undefined;
  commaBacktrack: number;
}

/** Default A1111 `comma_padding_backtrack`. */
export const DEFAULT_COMMA_BACKTRACK = 20;

/** [start, end) token ranges of the chunks, per the rule documented at the top of this file. */
export function chunkRanges(
  ids: readonly number[],
  chunkSize: number,
  commaId: number | undefined,
  commaBacktrack: number,
): Array<[number, number]> {
  if (!Number.isSafeInteger(chunkSize) || chunkSize < 1) throw new RangeError(`chunkSize must be >= 1, got ${chunkSize}`);
  const backtrack = Math.max(0, Math.min(chunkSize - 1, Math.floor(commaBacktrack)));
  const ranges: Array<[number, number]> = [];
  const n = ids.length;
  let start = 0;
  while (start < n) {
    let end = Math.min(start + chunkSize, n);
    if (end < n && commaId !== undefined && backtrack > 0 && ids[end] !== commaId) {
      for (let c = end - 1; c >= end - backtrack; c--) {
        if (ids[c] === commaId) {
          end = c + 1;
          break;
        }
      }
    }
    ranges.push([start, end]);
    start = end;
  }
  if (ranges.length === 0) ranges.push([0, 0]);
  return ranges;
}

/** Wraps `ids` as BOS … EOS and pads to maxLength; returns ids and attention mask. */
export function wrapWindow(
  ids: readonly number[],
  layout: Pick<ChunkLayout, 'maxLength' | 'bosId' | 'eosId' | 'padId'>,
): { ids: number[]; attentionMask: number[] } {
  const out = [layout.bosId, ...ids, layout.eosId];
  if (out.length > layout.maxLength) throw new RangeError(`window of ${ids.length} tokens exceeds maxLength ${layout.maxLength}`);
  const attentionMask = out.map(() => 1);
  while (out.length < layout.maxLength) {
    out.push(layout.padId);
    attentionMask.push(0);
  }
  return { ids: out, attentionMask };
}

/** Splits a token stream into padded encoder windows. */
export function buildChunks(stream: TokenStream, layout: ChunkLayout): PromptChunk[] {
  const ranges = chunkRanges(stream.ids, layout.maxLength - 2, layout.commaId, layout.commaBacktrack);
  return ranges.map(([start, end]) => ({
    ...wrapWindow(stream.ids.slice(start, end), layout),
    tokens: stream.tokens.slice(start, end),
    tokenWordIndex: stream.tokenWordIndex.slice(start, end),
    tokenOffset: start,
  }));
}
