/** ONNX graph builder and sessions (DESIGN D1/D2). Read CONTEXT.md first. */
export * from './builder.ts';
export * from './dtypes.ts';
export * from './events.ts';
export * from './identity.ts';
export * from './placement.ts';
export * from './provider.ts';
export * from './session.ts';
export * from './weightCast.ts';
export * as op from './ops/index.ts';
