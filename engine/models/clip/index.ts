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
export { buildSDXLTextGraph, sdxlTextSignature, type SDXLTextGraphOptions } from './sdxlGraph.ts';
export { SDXLTextEncoders, loadSDXLTextEncoders, zeroTextEmbedding, type SDXLTextEmbedding, type SDXLTextRuntime, type SDXLTextSource, type SDXLTokenizers } from './sdxlTextEncoder.ts';
export { sdxlPooledDebugModule, sdxlTextEncodersDebugModule } from './sdxlDebug.ts';
