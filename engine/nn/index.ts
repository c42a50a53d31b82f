/** Layers as plain functions over a weight scope that mirrors checkpoint paths. */
export * from './types.ts';
export * from './conv.ts';
export * from './linear.ts';
export * from './norm.ts';
export * from './attention.ts';
