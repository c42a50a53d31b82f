/** SentencePiece unigram tokenizer (T5's spiece.model), read without the C++ library. */
export { SentencePieceTokenizer, type SentencePieceEncoding, type SentencePieceText } from './tokenizer.ts';
export { parseSentencePieceModel, PIECE_TYPE, type Piece, type SentencePieceModel } from './modelProto.ts';
export { Normalizer, SPACE_SYMBOL } from './normalizer.ts';
export { UnigramModel } from './unigram.ts';
