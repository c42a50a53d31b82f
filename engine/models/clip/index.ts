/** SD 1.x / 2.x text encoders: graph builder, runner with long-prompt chunking, CLI debug module. */
export {
  buildTextEncoderGraph,
  causalSelfAttention,
  resolveClipSkip,
  textEncoderSignature,
  type TextAttentionKernel,
  type TextEncoderGraphOptions,
} from './graph.ts';
export {
  CLIPTextEncoder,
  loadTextEncoder,
  type EncodeOptions,
  type PromptEmbedding,
  type TextEmbedding,
  type TextEncoder,
  type TextEncoderRuntime,
  type TextEncoderSource,
} from './textEncoder.ts';
export { textEncoderDebugModule } from './debug.ts';
