import { buildChunks, type ChunkLayout, type PromptChunk } from './chunking.ts';
import { extractExtraNetworks, parsePromptAttention } from './promptSyntax.ts';

/** What a tokenizer offers the weighted chunker. */
export interface ChunkingTokenizer {
  readonly maxLength: number;
  tokenize(text: string): { ids: number[]; tokens: string[]; words: string[]; tokenWordIndex: number[] };
  chunkLayout(commaBacktrack?: number): ChunkLayout;
}

/** A textual-inversion embedding as the chunker sees it: its name's tokens, and the ids of its vectors. */
export interface ChunkEmbedding {
  readonly ids: readonly number[];
  /** Ids firstId … firstId + count - 1 stand for its vectors. */
  readonly firstId: number;
  readonly count: number;
}

export interface WeightedChunks {
  chunks: PromptChunk[];
  words: string[];
  numTokens: number;
  /** Per chunk, maxLength multipliers (1 for BOS, EOS and padding). */
  multipliers: number[][];
  /** True when some multiplier is not 1 (the hidden states then need reweighting). */
  weighted: boolean;
  /** Indices (into the `embeddings` option) of the embeddings the prompt used. */
  usedEmbeddings: number[];
}

/** Replaces each embedding name's token run (longest first) by the embedding's vector ids. */
function substituteEmbeddings(t: { ids: number[]; tokens: string[]; tokenWordIndex: number[] }, embeddings: readonly ChunkEmbedding[], used: Set<number>) {
  if (!embeddings.length) return t;
  const order = embeddings.map((e, i) => ({ e, i })).filter(({ e }) => e.ids.length).sort((a, b) => b.e.ids.length - a.e.ids.length);
  const out = { ids: [] as number[], tokens: [] as string[], tokenWordIndex: [] as number[] };
  for (let p = 0; p < t.ids.length;) {
    const hit = order.find(({ e }) => e.ids.every((id, k) => t.ids[p + k] === id));
    if (!hit) {
      out.ids.push(t.ids[p]);
      out.tokens.push(t.tokens[p]);
      out.tokenWordIndex.push(t.tokenWordIndex[p]);
      p++;
      continue;
    }
    used.add(hit.i);
    for (let k = 0; k < hit.e.count; k++) {
      out.ids.push(hit.e.firstId + k);
      out.tokens.push(`<embedding ${hit.i}:${k}>`);
      out.tokenWordIndex.push(t.tokenWordIndex[p]);
    }
    p += hit.e.ids.length;
  }
  return out;
}

/**
 * A prompt in A1111 syntax as encoder windows: extra-network tags removed, each text run
 * tokenised on its own (as A1111 does), BREAK closing a chunk, every token carrying its run's
 * multiplier. Plain text gives exactly `tokenizer.encodeChunks`.
 */
export function encodeWeightedChunks(tokenizer: ChunkingTokenizer, prompt: string, options: { commaBacktrack?: number; embeddings?: readonly ChunkEmbedding[] } = {}): WeightedChunks {
  const used = new Set<number>();
  const layout = tokenizer.chunkLayout(options.commaBacktrack);
  const segments: Array<{ ids: number[]; tokens: string[]; tokenWordIndex: number[]; weights: number[] }> = [{ ids: [], tokens: [], tokenWordIndex: [], weights: [] }];
  const words: string[] = [];
  for (const piece of parsePromptAttention(extractExtraNetworks(prompt).text)) {
    if ('break' in piece) {
      segments.push({ ids: [], tokens: [], tokenWordIndex: [], weights: [] });
      continue;
    }
    const plain = tokenizer.tokenize(piece.text);
    const t = { ...substituteEmbeddings(plain, options.embeddings ?? [], used), words: plain.words };
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
  return { chunks, words, numTokens: offset, multipliers, weighted: multipliers.some((m) => m.some((v) => v !== 1)), usedEmbeddings: [...used].sort((a, b) => a - b) };
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
