/** T5 v1.1 text encoder (PixArt-α/Σ): detection, config from shapes, fp32 graph, runner, tokenizer lookup, debug module. */
export { RELATIVE_BIAS, expectedT5Weights, t5ConfigFromShapes, type HfT5Config, type T5Config, type T5FeedForward, type T5Spec } from './config.ts';
export { detectT5, looksLikeT5Encoder, t5FromTensors, type DetectT5Options } from './detect.ts';
export { buildT5EncoderGraph, t5Signature, type T5AttentionKernel, type T5GraphOptions, type T5WeightCast } from './graph.ts';
export { T5Encoder, loadT5Encoder, type T5Embedding, type T5EncoderRuntime } from './encoder.ts';
export { BUNDLED_T5_TOKENIZER, PIXART_MAX_LENGTH, pixartPromptText, t5TokenizerFor } from './tokenizer.ts';
export { t5Prompt, type T5Prompt, type T5PromptOptions } from './promptTokens.ts';
export { bucketMatrix, relativePositionBucket } from './relativePosition.ts';
export { t5EncoderDebugModule } from './debug.ts';
