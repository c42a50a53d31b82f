/** Images ↔ NCHW tensors, Lanczos resizing and quality metrics (sharp-based). */
export * from './tensor.ts';
export * from './resize.ts';
export * from './metrics.ts';
