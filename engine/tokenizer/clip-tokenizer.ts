/**
 * CLIP BPE tokenizer (Stable Diffusion text encoders), id-for-id with transformers' slow CLIPTokenizer on
 * its no-ftfy path: normalise (normalize.ts) -> CLIP regex (pretokenize.ts) -> UTF-8 byte symbols
 * (byte-unicode.ts) -> BPE with merge ranks (bpe.ts) -> vocab ids, then BOS + at most maxLength-2 tokens
 * + EOS + padding. Long prompts can be split into several windows instead (chunking.ts).
 */
import { join } from 'node:path';
import { StudioError } from '../api/errors.ts';
import { BytePairEncoder, END_OF_WORD, type MergeRule } from './bpe.ts';
import { fromByteSymbols, toByteSymbols } from './byte-unicode.ts';
import { buildChunks, DEFAULT_COMMA_BACKTRACK, wrapWindow, type ChunkLayout, type PromptChunk } from './chunking.ts';
import { parseMerges, parseVocab, readFolderConfig, readTextFile } from './files.ts';
import { normalizeWords } from './normalize.ts';
import { pretokenizeWords } from './pretokenize.ts';

export const CLIP_BOS_TOKEN = '<|startoftext|>';
export const CLIP_EOS_TOKEN = '<|endoftext|>';
export const CLIP_MAX_LENGTH = 77;

export interface ClipTokenizerOptions {
  /** Window length including BOS and EOS (default 77). */
  maxLength?: number;
  /** Padding id: 'eos' (SD 1.x, default) or an explicit id (SD 2.x / OpenCLIP pads with 0). */
  padToken?: 'eos' | number;
  bosToken?: string;
  eosToken?: string;
  /** Token used for pieces missing from the vocabulary (default: the EOS token, as CLIP does). */
  unkToken?: string;
  /** A1111 comma backtrack used by encodeChunks (default 20; 0 disables). */
  commaBacktrack?: number;
  /** Per-chunk BPE cache size (default 50 000). */
  cacheLimit?: number;
}

/** Untruncated tokens of a text, without BOS/EOS. */
export interface TokenizedText {
  ids: number[];
  tokens: string[];
  /** Normalised words (`words.join(' ')` is the normalised text). */
  words: string[];
  /** For each token, the index into `words` it came from. */
  tokenWordIndex: number[];
}

/** One encoder window: `ids` has exactly maxLength entries. */
export interface EncodedPrompt {
  ids: number[];
  attentionMask: number[];
  /** Kept BPE token strings; `tokens[i]` is `ids[1 + i]`. */
  tokens: string[];
  words: string[];
  tokenWordIndex: number[];
  truncated: boolean;
  numTokensUntruncated: number;
}

export interface ChunkedPrompt {
  /** One window per chunk, each maxLength ids; at least one. */
  chunks: PromptChunk[];
  words: string[];
  /** Number of tokens in the untruncated stream (sum of the chunks' token counts). */
  numTokens: number;
}

function invalidOption(message: string): StudioError {
  return new StudioError('INVALID_REQUEST', `Tokenizer: ${message}`);
}

export class CLIPTokenizer {
  readonly maxLength: number;
  readonly bosId: number;
  readonly eosId: number;
  readonly padId: number;
  readonly unkId: number;
  readonly commaBacktrack: number;
  private readonly vocab: Map<string, number>;
  private readonly decoder = new Map<number, string>();
  private readonly bpe: BytePairEncoder;
  private readonly specials: Set<string>;

  /** Builds a tokenizer from in-memory data; the vocab Map is used as is (not copied). */
  constructor(
    vocab: Map<string, number> | Readonly<Record<string, number>>,
    merges: readonly MergeRule[],
    options: ClipTokenizerOptions = {},
  ) {
    this.vocab = vocab instanceof Map ? vocab : new Map(Object.entries(vocab));
    for (const [token, id] of this.vocab) if (!this.decoder.has(id)) this.decoder.set(id, token);
    const bosToken = options.bosToken ?? CLIP_BOS_TOKEN;
    const eosToken = options.eosToken ?? CLIP_EOS_TOKEN;
    this.bosId = this.requireToken(bosToken, 'BOS');
    this.eosId = this.requireToken(eosToken, 'EOS');
    this.unkId = this.requireToken(options.unkToken ?? eosToken, 'unknown');
    this.specials = new Set([CLIP_BOS_TOKEN, CLIP_EOS_TOKEN].filter((t) => this.vocab.has(t)));

    this.maxLength = options.maxLength ?? CLIP_MAX_LENGTH;
    if (!Number.isSafeInteger(this.maxLength) || this.maxLength < 2) {
      throw invalidOption(`maxLength must be an integer >= 2, got ${options.maxLength}`);
    }
    const pad = options.padToken ?? 'eos';
    if (pad === 'eos') this.padId = this.eosId;
    else if (Number.isSafeInteger(pad) && this.decoder.has(pad)) this.padId = pad;
    else throw invalidOption(`padToken must be 'eos' or an id present in the vocabulary, got ${JSON.stringify(pad)}`);

    this.commaBacktrack = options.commaBacktrack ?? DEFAULT_COMMA_BACKTRACK;
    if (!Number.isFinite(this.commaBacktrack) || this.commaBacktrack < 0) {
      throw invalidOption(`commaBacktrack must be >= 0, got ${options.commaBacktrack}`);
    }
    this.bpe = new BytePairEncoder(merges, { cacheLimit: options.cacheLimit });
  }

  /** Loads vocab.json and merges.txt. Missing file: NOT_FOUND; malformed file or option: INVALID_REQUEST. */
  static async fromFiles(
    vocabJsonPath: string,
    mergesTxtPath: string,
    options: ClipTokenizerOptions = {},
  ): Promise<CLIPTokenizer> {
    const [vocabText, mergesText] = await Promise.all([
      readTextFile(vocabJsonPath, 'vocab.json'),
      readTextFile(mergesTxtPath, 'merges.txt'),
    ]);
    return new CLIPTokenizer(parseVocab(vocabText, vocabJsonPath), parseMerges(mergesText, mergesTxtPath), options);
  }

  /**
   * Loads a diffusers `tokenizer/` folder: vocab.json, merges.txt and, when present,
   * tokenizer_config.json / special_tokens_map.json for bos/eos/unk/pad tokens and model_max_length.
   * A pad token equal to the EOS token means 'eos' padding; any other pad token (SD 2.x: "!", id 0) is
   * looked up in the vocabulary. Explicit `options` win over the folder's files.
   */
  static async fromDirectory(dir: string, options: ClipTokenizerOptions = {}): Promise<CLIPTokenizer> {
    const vocabPath = join(dir, 'vocab.json');
    const mergesPath = join(dir, 'merges.txt');
    const [vocabText, mergesText, config] = await Promise.all([
      readTextFile(vocabPath, 'vocab.json'),
      readTextFile(mergesPath, 'merges.txt'),
      readFolderConfig(dir),
    ]);
    const vocab = parseVocab(vocabText, vocabPath);
    const eosToken = options.eosToken ?? config.eosToken ?? CLIP_EOS_TOKEN;
    let padToken = options.padToken;
    if (padToken === undefined && config.padToken !== undefined && config.padToken !== eosToken) {
      padToken = vocab.get(config.padToken);
      if (padToken === undefined) {
        throw new StudioError('INVALID_REQUEST', `Tokenizer pad token ${JSON.stringify(config.padToken)} is not in ${vocabPath}`);
      }
    }
    return new CLIPTokenizer(vocab, parseMerges(mergesText, mergesPath), {
      ...options,
      maxLength: options.maxLength ?? config.modelMaxLength,
      bosToken: options.bosToken ?? config.bosToken,
      eosToken,
      unkToken: options.unkToken ?? config.unkToken,
      padToken,
    });
  }

  get vocabSize(): number {
    return this.vocab.size;
  }

  get mergeCount(): number {
    return this.bpe.mergeCount;
  }

  tokenToId(token: string): number | undefined {
    return this.vocab.get(token);
  }

  idToToken(id: number): string | undefined {
    return this.decoder.get(id);
  }

  /** The normalised, lowercased words of a prompt (what prompt editing indexes). */
  normalize(text: string): string[] {
    return normalizeWords(text);
  }

  /** All tokens of `text`, untruncated, without BOS/EOS. */
  tokenize(text: string): TokenizedText {
    const words = normalizeWords(text);
    const ids: number[] = [];
    const tokens: string[] = [];
    const tokenWordIndex: number[] = [];
    for (const { text: chunk, wordIndex } of pretokenizeWords(words)) {
      const pieces = this.specials.has(chunk) ? [chunk] : this.bpe.encode(toByteSymbols(chunk));
      for (const piece of pieces) {
        tokens.push(piece);
        ids.push(this.vocab.get(piece) ?? this.unkId);
        tokenWordIndex.push(wordIndex);
      }
    }
    return { ids, tokens, words, tokenWordIndex };
  }

  /** One window: BOS, the first maxLength-2 tokens, EOS, padding to maxLength. */
  encode(text: string): EncodedPrompt {
    const all = this.tokenize(text);
    const kept = Math.min(all.ids.length, this.maxLength - 2);
    return {
      ...wrapWindow(all.ids.slice(0, kept), this),
      tokens: all.tokens.slice(0, kept),
      words: all.words,
      tokenWordIndex: all.tokenWordIndex.slice(0, kept),
      truncated: kept < all.ids.length,
      numTokensUntruncated: all.ids.length,
    };
  }

  /** Splits a long prompt into maxLength windows; see chunking.ts for the exact (A1111) rule. */
  encodeChunks(text: string, options: { commaBacktrack?: number } = {}): ChunkedPrompt {
    const all = this.tokenize(text);
    const chunks = buildChunks(all, this.chunkLayout(options.commaBacktrack));
    return { chunks, words: all.words, numTokens: all.ids.length };
  }

  /** How windows are cut and wrapped (for the A1111-syntax chunker, `weightedChunks.ts`). */
  chunkLayout(commaBacktrack?: number): ChunkLayout {
    return {
      maxLength: this.maxLength,
      bosId: this.bosId,
      eosId: this.eosId,
      padId: this.padId,
      commaId: this.vocab.get(`,${END_OF_WORD}`),
      commaBacktrack: commaBacktrack ?? this.commaBacktrack,
    };
  }

  /**
   * Ids back to text, like transformers' decode: tokens joined, bytes decoded as UTF-8, `</w>` -> space,
   * trimmed. With `skipSpecialTokens` (default) BOS and EOS are dropped, and so is the pad id when it
   * follows an EOS — a pad id that is an ordinary token (SD 2.x: "!" = 0) is kept inside the prompt.
   * Unknown ids are ignored.
   */
  decode(ids: readonly number[], options: { skipSpecialTokens?: boolean } = {}): string {
    const skip = options.skipSpecialTokens ?? true;
    let symbols = '';
    let afterEos = false;
    for (const id of ids) {
      if (id === this.bosId) afterEos = false;
      const special = id === this.bosId || id === this.eosId || (afterEos && id === this.padId);
      if (id === this.eosId) afterEos = true;
      if (skip && special) continue;
      symbols += this.decoder.get(id) ?? '';
    }
    return fromByteSymbols(symbols).split(END_OF_WORD).join(' ').trim();
  }

  private requireToken(token: string, role: string): number {
    const id = this.vocab.get(token);
    if (id === undefined) throw invalidOption(`${role} token ${JSON.stringify(token)} is not in the vocabulary`);
    return id;
  }
}
