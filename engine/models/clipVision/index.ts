/** CLIP vision tower (IP-Adapter's image encoder): config, graph, preprocessing, loader. */
export * from './config.ts';
export * from './graph.ts';
export * from './preprocess.ts';
export * from './encoder.ts';
