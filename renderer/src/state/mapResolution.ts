import type { AttentionGrid } from './modelsSlice.ts';

/**
 * Latent downsampling of the maps: the coarsest the model has cross-attention at that still gives
 * ≥ 16 cells a side, else its finest (coarse for big images, the most detail for small ones).
 */
export function mapResolution(width: number, height: number, grid: AttentionGrid = { factor: 8, resolutions: [1, 2, 4] }): 1 | 2 | 4 | 8 {
  const latent = Math.min(width, height) / grid.factor;
  const fine = grid.resolutions.filter((r): r is 1 | 2 | 4 | 8 => [1, 2, 4, 8].includes(r)).sort((a, b) => a - b);
  if (!fine.length) return 1;
  return [...fine].reverse().find((r) => latent / r >= 16) ?? fine[0];
}
