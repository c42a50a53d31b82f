/** The attention-map store: cross-attention maps of chosen batch rows, for local blending and the map viewer. */
export * from './store.ts';
export * from './sumMaps.ts';
