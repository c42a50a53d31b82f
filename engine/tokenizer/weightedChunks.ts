import { buildChunks, type ChunkLayout, type PromptChunk } from './chunking.ts';
import { extractExtraNetworks, parsePromptAttention } from './promptSyntax.ts';

/** What a tokenizer offers the weighted chunker. */
export interface ChunkingTokenizer {
  readonly maxLength: number;
  tokenize(text: string): { ids: number[]; tokens: string[]; words: string[]; tokenWordIndex: number[] };
  chunkLayout(commaBacktrack?: number): ChunkLayout;
}

export interface WeightedChunks {
  chunks: PromptChunk[];
  words: string[];
  numTokens: number;
  /** Per chunk, maxLength multipliers (1 for BOS, EOS and padding). */
  multipliers: number[][];
  /** True when some multiplier is not 1 (the hidden states then need reweighting). */
  weighted: boolean;
}

/**
 * A prompt in A1111 syntax as encoder windows: extra-network tags removed, each text run
 * tokenised on its own (as A1111 does), BREAK closing a chunk, every token carrying its run's
 * multiplier. Plain text gives exactly `tokenizer.encodeChunks`.
 */
export function encodeWeightedChunks(tokenizer: ChunkingTokenizer, prompt: string, options: { commaBacktrack?: number } = {}): WeightedChunks {
  const layout = tokenizer.chunkLayout(options.commaBacktrack);
  const segments: Array<{ ids: number[]; tokens: string[]; tokenWordIndex: number[]; weights: number[] }> = [{ ids: [], tokens: [], tokenWordIndex: [], weights: [] }];
  const words: string[] = [];
  for (const piece of parsePromptAttention(extractExtraNetworks(prompt).text)) {
    if ('break' in piece) {
      segments.push({ ids: [], tokens: [], tokenWordIndex: [], weights: [] });
      continue;
    }
    const t = tokenizer.tokenize(piece.text);
    const seg = segments[segments.length - 1];
    seg.ids.push(...t.ids);
    seg.tokens.push(...t.tokens);
    seg.tokenWordIndex.push(...t.tokenWordIndex.map((w) => w + words.length));
    seg.weights.push(...t.ids.map(() => piece.weight));
    words.push(...t.words);
  }
  const chunks: PromptChunk[] = [];
  const multipliers: number[][] = [];
  let offset = 0;
  segments.forEach((seg, i) => {
    // A trailing BREAK opens no chunk of its own (A1111 closes the last chunk only when it has tokens).
    if (!seg.ids.length && i === segments.length - 1 && chunks.length) return;
    for (const c of buildChunks(seg, layout)) {
      const start = c.tokenOffset;
      chunks.push({ ...c, tokenOffset: offset + start });
      const m = new Array<number>(layout.maxLength).fill(1);
      for (let k = 0; k < c.tokens.length; k++) m[1 + k] = seg.weights[start + k];
      multipliers.push(m);
    }
    offset += seg.ids.length;
  });
  return { chunks, words, numTokens: offset, multipliers, weighted: multipliers.some((m) => m.some((v) => v !== 1)) };
}

/**
 * A1111's default ("Original") emphasis on one encoded window set: hidden states times each
 * token's multiplier, then rescaled so every chunk keeps its mean.
 */
export function applyEmphasis(data: Float32Array, multipliers: readonly (readonly number[])[], hidden: number): void {
  const window = multipliers[0]?.length ?? 0;
  multipliers.forEach((m, c) => {
    const base = c * window * hidden;
    let before = 0;
    let after = 0;
    for (let t = 0; t < window; t++) {
      for (let d = 0; d < hidden; d++) {
        const i = base + t * hidden + d;
        before += data[i];
        data[i] *= m[t];
        after += data[i];
      }
    }
    if (after === 0) return;
    const k = before / after;
    for (let i = base; i < base + window * hidden; i++) data[i] *= k;
  });
}
