import { StudioError } from '../../api/errors.ts';
import type { Network, NetworkGraph } from '../../graph/network.ts';
import type { HostTensor } from '../../graph/session.ts';
import { DEFAULT_TILING, type TilingOptions, runTiled, shouldTile } from './tiling.ts';

/** One half of an image autoencoder (KL VAE or TAESD): names of its graph's input and output, and its scale. */
export interface ImagePartRole {
  /** For messages: `VAE decoder`, `TAESD encoder`. */
  readonly label: string;
  readonly input: string;
  readonly output: string;
  /** Input / output pixels per latent pixel. */
  readonly inScale: number;
  readonly outScale: number;
}

/**
 * Runs an autoencoder half on NCHW images or latents, whole or — past the tiling threshold —
 * on overlapping tiles blended without seams.
 */
export async function runImagePart(network: Network, graph: NetworkGraph, role: ImagePartRole, x: HostTensor, tiling: TilingOptions = {}): Promise<HostTensor> {
  const [, , H, W] = x.dims;
  if (x.dims.length !== 4 || H % role.inScale || W % role.inScale) {
    throw new StudioError('SHAPE_MISMATCH', `${role.label}: expected NCHW with sides a multiple of ${role.inScale}, got [${x.dims.join(', ')}]`);
  }
  const once = async (t: HostTensor) => (await network.run(graph, { [role.input]: t }))[role.output];
  const t = { ...DEFAULT_TILING, ...tiling };
  if (!shouldTile(H / role.inScale, W / role.inScale, t)) return once(x);
  return runTiled(x, once, { tileSize: t.tileSize, overlap: t.overlap, inScale: role.inScale, outScale: role.outScale });
}
