import type { HostTensor } from '../graph/session.ts';
import { tensorToSharp } from '../image/tensor.ts';
import type { ModelBundle } from './modelBundle.ts';

/** Diffusion-space latent [1, C, h, w] → PNG bytes through the model's VAE. */
export async function decodeToPng(bundle: ModelBundle, latent: Float32Array, dims: readonly number[]): Promise<Buffer> {
  const image: HostTensor = await bundle.vaeDecoder.decode({ data: latent, dims: [...dims] });
  return tensorToSharp(image, 'minus1to1').png().toBuffer();
}
