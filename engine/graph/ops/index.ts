/** Op helpers over GraphBuilder, one function per ONNX op family: `import * as op from '.../graph/ops/index.ts'`. */
export * from './elementwise.ts';
export * from './tensor.ts';
export * from './nn.ts';
export * from './attention.ts';
