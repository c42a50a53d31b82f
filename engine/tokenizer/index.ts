/** CLIP BPE tokenizer: public surface of engine/tokenizer. */
export {
  CLIPTokenizer,
  CLIP_BOS_TOKEN,
  CLIP_EOS_TOKEN,
  CLIP_MAX_LENGTH,
  type ChunkedPrompt,
  type ClipTokenizerOptions,
  type EncodedPrompt,
  type TokenizedText,
} from './clip-tokenizer.ts';
export { chunkRanges, DEFAULT_COMMA_BACKTRACK, type PromptChunk } from './chunking.ts';
export { BytePairEncoder, END_OF_WORD, type MergeRule } from './bpe.ts';
export { normalizeWords } from './normalize.ts';
export { pretokenize } from './pretokenize.ts';
export { parseMerges, parseVocab } from './files.ts';
