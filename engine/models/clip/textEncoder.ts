import { StudioError } from '../../api/errors.ts';
import { checkpointIdentity } from '../../graph/identity.ts';
import { Network, type NetworkGraph, type NetworkRuntime } from '../../graph/network.ts';
import type { CompiledSession } from '../../graph/session.ts';
import type { LoraBinding } from '../../lora/adapters.ts';
import type { CLIPTokenizer } from '../../tokenizer/clip-tokenizer.ts';
import type { PromptChunk } from '../../tokenizer/chunking.ts';
import { applyEmphasis, encodeWeightedChunks } from '../../tokenizer/weightedChunks.ts';
import { TEXT } from '../families/ldmFamily.ts';
import type { StableDiffusionSpec, TextEncoderConfig } from '../spec.ts';
import type { Embedding } from '../../lora/embeddings.ts';
import { EXTRA_TOKENS_INPUT, type TextAttentionKernel, buildTextEncoderGraph, resolveClipSkip, textEncoderSignature } from './graph.ts';

function concatVectors(parts: readonly Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** What the text encoder needs from a detected checkpoint. */
export type TextEncoderSource = Pick<StableDiffusionSpec, 'family' | 'weights' | 'textEncoders'>;

export interface TextEncoderRuntime extends NetworkRuntime {
  /** Default clip skip for every call (1 = last layer); default: the family's (SD 1.x 1, SD 2.x single file 2). */
  clipSkip?: number;
  kernel?: TextAttentionKernel;
  /** LoRAs on the encoder's layers: their multipliers are feeds, not graph. */
  lora?: LoraBinding;
  /** Textual-inversion embeddings a prompt may name (`lora/embeddings.ts`); widths must match. */
  embeddings?: readonly Embedding[];
}

export interface EncodeOptions {
  /** Overrides the encoder's clip skip for this call (a second session is compiled and cached). */
  clipSkip?: number;
}

/** Hidden states, row-major. */
export interface TextEmbedding {
  data: Float32Array;
  dims: [batch: number, tokens: number, hidden: number];
}

/** A prompt of any length: one 77-token window per chunk, concatenated along the token axis. */
export interface PromptEmbedding extends TextEmbedding {
  dims: [1, tokens: number, hidden: number];
  /** The windows in order; `chunks[i]` produced tokens [77·i, 77·(i+1)) of `data`. */
  chunks: PromptChunk[];
  /** Prompt tokens before chunking (no BOS/EOS/padding). */
  numTokens: number;
  words: string[];
  /** Clip skip the embedding was computed with (padding chunks reuse it). */
  clipSkip: number;
}

export interface TextEncoder {
  readonly family: 'sd1' | 'sd2';
  readonly config: TextEncoderConfig;
  /** Tokens per window (77). */
  readonly sequenceLength: number;
  readonly hiddenSize: number;
  readonly clipSkip: number;
  /** ids [batch, 77] (flat BigInt64Array or rows) → [batch, 77, hidden]. */
  encodeIds(ids: BigInt64Array | readonly (readonly number[])[], batch?: number, options?: EncodeOptions): Promise<TextEmbedding>;
  /** Tokenises with `encodeChunks` and encodes every chunk. */
  encodePrompt(text: string, tokenizer: CLIPTokenizer, options?: EncodeOptions & { commaBacktrack?: number }): Promise<PromptEmbedding>;
  /** Appends empty-prompt chunks so every embedding has as many chunks as the longest (CFG needs equal lengths). */
  padToSameChunks(embeddings: readonly PromptEmbedding[], tokenizer: CLIPTokenizer): Promise<PromptEmbedding[]>;
}

/**
 * The text encoder of a detected SD 1.x / 2.x checkpoint. Compiles the graph for the default
 * clip skip up front, so a broken checkpoint fails here rather than at the first prompt.
 */
export async function loadTextEncoder(spec: TextEncoderSource, runtime: TextEncoderRuntime = {}): Promise<TextEncoder> {
  const encoder = new CLIPTextEncoder(spec, runtime);
  await encoder.session(encoder.clipSkip);
  return encoder;
}

export class CLIPTextEncoder implements TextEncoder {
  readonly family: 'sd1' | 'sd2';
  readonly config: TextEncoderConfig;
  readonly sequenceLength: number;
  readonly hiddenSize: number;
  readonly clipSkip: number;
  private readonly network: Network;
  private readonly emptyChunks = new Map<string, Promise<TextEmbedding>>();

  constructor(private readonly spec: TextEncoderSource, private readonly runtime: TextEncoderRuntime = {}) {
    this.family = spec.family;
    [this.config] = spec.textEncoders;
    this.sequenceLength = this.config.maxPositions;
    this.hiddenSize = this.config.hiddenSize;
    this.clipSkip = resolveClipSkip(this.config, runtime.clipSkip);
    this.network = new Network(checkpointIdentity(spec.weights.scope(TEXT).files()), `text-encoder:${this.family}`, runtime);
  }

  /** The graph for a clip skip (cached by checkpoint, layers run, heads, kernel, provider). */
  private graph(clipSkip: number, extraTokens = false): NetworkGraph {
    const opts = { clipSkip, kernel: this.runtime.kernel, extraTokens };
    const lora = this.runtime.lora;
    return {
      signature: textEncoderSignature(this.config, opts) + (lora ? `;${lora.signature}` : ''),
      build: (computeType) => buildTextEncoderGraph(this.spec.weights.scope(TEXT).withAdapters(lora?.adapters), this.config, { ...opts, computeType }),
    };
  }

  session(clipSkip: number): Promise<CompiledSession> {
    return this.network.session(this.graph(clipSkip));
  }

  async encodeIds(ids: BigInt64Array | readonly (readonly number[])[], batch?: number, options: EncodeOptions = {}): Promise<TextEmbedding> {
    return this.encodeWithVectors(ids, batch, options);
  }

  /** ids from vocabSize on pick rows of `vectors` [n, hidden] (textual inversion). */
  private async encodeWithVectors(ids: BigInt64Array | readonly (readonly number[])[], batch: number | undefined, options: EncodeOptions, vectors?: Float32Array): Promise<TextEmbedding> {
    const extra = vectors ? vectors.length / this.hiddenSize : 0;
    const flat = this.checkIds(ids, batch, extra);
    const B = flat.length / this.sequenceLength;
    const feeds = { ids: { data: flat, dims: [B, this.sequenceLength] }, ...this.runtime.lora?.feeds(), ...(vectors ? { [EXTRA_TOKENS_INPUT]: { data: vectors, dims: [extra, this.hiddenSize] } } : {}) };
    const out = await this.network.run(this.graph(resolveClipSkip(this.config, options.clipSkip ?? this.clipSkip), Boolean(vectors)), feeds);
    const y = out.last_hidden_state;
    return { data: y.data as Float32Array, dims: [B, this.sequenceLength, this.hiddenSize] };
  }

  /**
   * Long prompts as AUTOMATIC1111 encodes them: the token stream is cut into chunks of at most
   * 75 tokens (comma backtracking per `tokenizer/chunking.ts`), each chunk is wrapped as
   * BOS … EOS + padding to 77 and encoded on its own (its own positions 0..76, no attention
   * across chunks), and the chunks' hidden states are concatenated along the token axis:
   * N chunks → [1, 77·N, hidden]. The UNet's cross-attention accepts any context length.
   * A prompt of ≤ 75 tokens is one chunk, identical to `encodeIds(tokenizer.encode(text).ids)`.
   */
  async encodePrompt(text: string, tokenizer: CLIPTokenizer, options: EncodeOptions & { commaBacktrack?: number } = {}): Promise<PromptEmbedding> {
    this.checkTokenizer(tokenizer);
    const clipSkip = resolveClipSkip(this.config, options.clipSkip ?? this.clipSkip);
    // A1111 syntax: weights, emphasis, escapes, BREAK; extra-network tags never reach the encoder.
    const embeddings = (this.runtime.embeddings ?? []).filter((e) => e.width === this.hiddenSize);
    let firstId = this.config.vocabSize;
    const named = embeddings.map((e) => {
      const at = firstId;
      firstId += e.count;
      return { ids: tokenizer.tokenize(e.name).ids, firstId: at, count: e.count };
    });
    const prompt = encodeWeightedChunks(tokenizer, text, { ...(options.commaBacktrack === undefined ? {} : { commaBacktrack: options.commaBacktrack }), embeddings: named });
    const ids = prompt.chunks.map((c) => c.ids);
    const vectors = prompt.usedEmbeddings.length ? concatVectors(embeddings.map((e) => e.vectors)) : undefined;
    // The chunks are independent sequences: one batched run is the same as N runs.
    const out = await this.encodeWithVectors(ids, ids.length, { clipSkip }, vectors);
    if (prompt.weighted) applyEmphasis(out.data, prompt.multipliers, this.hiddenSize);
    return {
      data: out.data,
      dims: [1, ids.length * this.sequenceLength, this.hiddenSize],
      chunks: prompt.chunks,
      numTokens: prompt.numTokens,
      words: prompt.words,
      clipSkip,
    };
  }

  /**
   * Classifier-free guidance batches the prompt and the negative prompt, so their token axes
   * must match. Like A1111 (`pad_cond`), the shorter ones are extended with the encoding of
   * the empty prompt — BOS, EOS, padding (the tokenizer's family padding) — once per missing
   * chunk, computed with each embedding's own clip skip. Embeddings already long enough are
   * returned unchanged.
   */
  async padToSameChunks(embeddings: readonly PromptEmbedding[], tokenizer: CLIPTokenizer): Promise<PromptEmbedding[]> {
    this.checkTokenizer(tokenizer);
    const target = Math.max(...embeddings.map((e) => e.chunks.length));
    const window = this.sequenceLength * this.hiddenSize;
    return Promise.all(embeddings.map(async (e) => {
      const missing = target - e.chunks.length;
      if (missing <= 0) return e;
      const empty = tokenizer.encode('');
      const filler = await this.emptyChunk(empty.ids, e.clipSkip);
      const data = new Float32Array(target * window);
      data.set(e.data);
      for (let i = e.chunks.length; i < target; i++) data.set(filler.data, i * window);
      const pad: PromptChunk = { ids: empty.ids, attentionMask: empty.attentionMask, tokens: [], tokenWordIndex: [], tokenOffset: e.numTokens };
      return { ...e, data, dims: [1, target * this.sequenceLength, this.hiddenSize], chunks: [...e.chunks, ...Array.from({ length: missing }, () => pad)] };
    }));
  }

  private emptyChunk(ids: readonly number[], clipSkip: number): Promise<TextEmbedding> {
    const key = `${clipSkip}|${ids.join(',')}`;
    let p = this.emptyChunks.get(key);
    if (!p) {
      p = this.encodeIds([ids], 1, { clipSkip });
      p.catch(() => this.emptyChunks.delete(key));
      this.emptyChunks.set(key, p);
    }
    return p;
  }

  private checkTokenizer(tokenizer: CLIPTokenizer): void {
    if (tokenizer.maxLength !== this.sequenceLength) {
      throw new StudioError('SHAPE_MISMATCH', `tokenizer windows are ${tokenizer.maxLength} tokens, the text encoder takes ${this.sequenceLength}`);
    }
  }

  /** ids as one flat int64 array of batch × P, or a SHAPE_MISMATCH / INVALID_REQUEST naming the problem. */
  private checkIds(ids: BigInt64Array | readonly (readonly number[])[], batch?: number, extra = 0): BigInt64Array {
    const P = this.sequenceLength;
    const shapeError = (got: string) =>
      new StudioError('SHAPE_MISMATCH', `text encoder takes token ids [batch, ${P}], got ${got}`, { expected: ['batch', P] });
    let flat: BigInt64Array;
    if (ids instanceof BigInt64Array) {
      const B = batch ?? ids.length / P;
      if (!Number.isInteger(B) || B < 1 || ids.length !== B * P) throw shapeError(`${ids.length} ids${batch !== undefined ? ` for batch ${batch}` : ''}`);
      flat = ids;
    } else {
      if (ids.length < 1 || (batch !== undefined && batch !== ids.length)) throw shapeError(`${ids.length} rows${batch !== undefined ? ` for batch ${batch}` : ''}`);
      const bad = ids.findIndex((row) => row.length !== P);
      if (bad >= 0) throw shapeError(`row ${bad} of length ${ids[bad].length}`);
      flat = new BigInt64Array(ids.length * P);
      ids.forEach((row, b) => row.forEach((id, t) => {
        if (!Number.isSafeInteger(id)) throw new StudioError('INVALID_REQUEST', `token id ${id} at [${b}, ${t}] is not an integer`);
        flat[b * P + t] = BigInt(id);
      }));
    }
    // Gather would wrap negative ids and fail late on large ones; say which id is wrong instead.
    const V = BigInt(this.config.vocabSize + extra);
    for (let i = 0; i < flat.length; i++) {
      if (flat[i] < 0n || flat[i] >= V) {
        throw new StudioError('INVALID_REQUEST', `token id ${flat[i]} at [${Math.floor(i / P)}, ${i % P}] is outside the vocabulary (0..${V - 1n})`);
      }
    }
    return flat;
  }
}
