import { readFile } from 'node:fs/promises';
import { StudioError, toStudioError } from '../../api/errors.ts';
import { type SentencePieceModel, parseSentencePieceModel } from './modelProto.ts';
import { Normalizer, SPACE_SYMBOL } from './normalizer.ts';
import { UnigramModel } from './unigram.ts';

/** Untruncated pieces of a text, without EOS, and the word each one belongs to. */
export interface SentencePieceText {
  ids: number[];
  /** Piece strings as they appear in the normalised text (an `<unk>` keeps its characters). */
  tokens: string[];
  /** Words of the normalised text: what a piece starting with `▁` opens, without the `▁`. */
  words: string[];
  /** For each piece, the index into `words`. */
  tokenWordIndex: number[];
}

/** One padded encoder input: at most `maxLength − 1` pieces, EOS, then padding. */
export interface SentencePieceEncoding extends SentencePieceText {
  /** Exactly maxLength ids. */
  ids: number[];
  /** 1 on the pieces and EOS, 0 on padding. */
  attentionMask: number[];
  /** The kept pieces (`tokens[i]` is `ids[i]`). */
  tokens: string[];
  tokenWordIndex: number[];
  truncated: boolean;
  numTokensUntruncated: number;
}

/**
 * A SentencePiece unigram tokenizer read from its `.model` file (T5's `spiece.model`),
 * id-for-id with the C++ library's `encode` and with transformers' T5Tokenizer on plain
 * text: charsmap normalisation (normalizer.ts), Viterbi segmentation (unigram.ts), EOS
 * appended, no BOS. Text that spells a special token (`</s>`) is encoded as plain text.
 */
export class SentencePieceTokenizer {
  readonly eosId: number;
  readonly padId: number;
  readonly unkId: number;
  readonly bosId: number;
  readonly pieceCount: number;
  private readonly normalizer: Normalizer;
  private readonly unigram: UnigramModel;
  private readonly pieces: SentencePieceModel['pieces'];

  constructor(model: SentencePieceModel, label = 'spiece.model') {
    if (model.unkId < 0) throw new StudioError('INVALID_REQUEST', `${label}: the model has no unknown piece`, { file: label });
    if (model.eosId < 0) throw new StudioError('INVALID_REQUEST', `${label}: the model has no end-of-sequence piece`, { file: label });
    if (model.byteFallback) throw new StudioError('INVALID_REQUEST', `${label}: byte-fallback models are not supported (T5's is not one)`, { file: label });
    this.eosId = model.eosId;
    // T5 pads with <pad> = 0; a model without a pad piece pads with EOS's neighbour 0 as transformers does.
    this.padId = model.padId >= 0 ? model.padId : 0;
    this.unkId = model.unkId;
    this.bosId = model.bosId;
    this.pieceCount = model.pieces.length;
    this.pieces = model.pieces;
    this.normalizer = new Normalizer(model.normalizer, label, model.treatWhitespaceAsSuffix);
    this.unigram = new UnigramModel(model.pieces, model.unkId);
  }

  static async fromFile(path: string): Promise<SentencePieceTokenizer> {
    let bytes: Uint8Array;
    try {
      bytes = await readFile(path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new StudioError('NOT_FOUND', `SentencePiece model not found: ${path}`, { path });
      throw toStudioError(e);
    }
    return new SentencePieceTokenizer(parseSentencePieceModel(bytes, path), path);
  }

  /** The text as the segmentation sees it (NFKC-style rules, `▁` for spaces, dummy prefix). */
  normalize(text: string): string {
    return this.normalizer.normalize(text);
  }

  /** The normalised words of a text (what prompt weights and edits name). */
  words(text: string): string[] {
    return this.normalize(text).split(SPACE_SYMBOL).filter(Boolean);
  }

  idToPiece(id: number): string | undefined {
    return this.pieces[id]?.piece;
  }

  /** All pieces of `text`, untruncated, without EOS. */
  tokenize(text: string): SentencePieceText {
    const segments = this.unigram.encode(this.normalize(text));
    const words: string[] = [];
    const tokenWordIndex: number[] = [];
    for (const s of segments) {
      if (s.text.startsWith(SPACE_SYMBOL) || words.length === 0) words.push('');
      words[words.length - 1] += s.text.startsWith(SPACE_SYMBOL) ? s.text.slice(SPACE_SYMBOL.length) : s.text;
      tokenWordIndex.push(words.length - 1);
    }
    return { ids: segments.map((s) => s.id), tokens: segments.map((s) => s.text), words, tokenWordIndex };
  }

  /** T5's input: the first maxLength − 1 pieces, EOS, padding to maxLength (with its mask). */
  encode(text: string, maxLength: number): SentencePieceEncoding {
    if (!Number.isSafeInteger(maxLength) || maxLength < 1) {
      throw new StudioError('INVALID_REQUEST', `Tokenizer: maxLength must be an integer >= 1, got ${maxLength}`);
    }
    const all = this.tokenize(text);
    const kept = Math.min(all.ids.length, maxLength - 1);
    const ids = [...all.ids.slice(0, kept), this.eosId];
    const attentionMask = ids.map(() => 1);
    while (ids.length < maxLength) {
      ids.push(this.padId);
      attentionMask.push(0);
    }
    return {
      ids,
      attentionMask,
      tokens: all.tokens.slice(0, kept),
      words: all.words,
      tokenWordIndex: all.tokenWordIndex.slice(0, kept),
      truncated: kept < all.ids.length,
      numTokensUntruncated: all.ids.length,
    };
  }
}
