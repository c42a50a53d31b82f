/** KL-f8 AutoencoderKL (LDM `first_stage_model`): graphs, tiled runners, latent helpers. */
export * from './graphs.ts';
export * from './latent.ts';
export * from './tiling.ts';
export * from './vae.ts';
