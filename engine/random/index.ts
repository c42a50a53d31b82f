export { philox4x32 } from './philox.ts';
export { MAX_SEED, fillRandn, itemSeed, randn, randnBatch, randomSeed, stepNoise } from './randn.ts';
export { mulberry32 } from './mulberry32.ts';
