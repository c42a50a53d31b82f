/** TAESD family (taesd, taef2 ...): tiny conv autoencoder working directly in diffusion-latent space. */
export * from './graphs.ts';
export * from './taesd.ts';
