/** IP-Adapter (Ye et al.) as an attention controller: key layout, adapter graph, controller. */
export * from './layout.ts';
export * from './blockScales.ts';
export * from './graph.ts';
export * from './adapterFile.ts';
export * from './controller.ts';
