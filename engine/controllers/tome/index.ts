/** Token merging (ToMe for SD) as an attention controller; see tokenMerging.ts. */
export * from './options.ts';
export * from './partition.ts';
export * from './bipartite.ts';
export * from './tokenMerging.ts';
