/** StyleID style injection (Chung et al.) as an attention controller. */
export * from './options.ts';
export * from './controller.ts';
export * from './layers.ts';
export * from './adain.ts';
export * from './memory.ts';
