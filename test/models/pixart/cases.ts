import { join } from 'node:path';
import type { DenoiserResult } from '../../../engine/denoiser/denoiser.ts';
import type { PixArtRunner, Tensor32 } from '../../../engine/models/pixart/index.ts';
import { npyToFloat32, readNpy } from '../../../engine/npy/npy.ts';
import { sharedPath } from '../../support/shared.ts';

/** A path inside ../shared/golden/pixart-tiny. */
export const tiny = (...p: string[]) => sharedPath('golden', 'pixart-tiny', ...p);
/** A golden array as float32. */
export const ref = async (...p: string[]) => npyToFloat32(await readNpy(tiny('golden', ...p)));

/** One transformer case of the golden set (`golden/<name>/{x,t,context,mask}.npy`). */
export interface DitCase {
  x: Tensor32;
  t: number[];
  context: Tensor32;
  mask: ArrayLike<bigint | number>;
}

/** `contextDir` replaces the case's context (the F16 file's null caption lives in from_f16_weights/). */
export async function ditCase(name: string, contextDir?: string): Promise<DitCase> {
  const d = tiny('golden', name);
  const [x, t, mask] = await Promise.all(['x', 't', 'mask'].map((a) => readNpy(join(d, `${a}.npy`))));
  const context = await readNpy(join(contextDir ?? d, 'context.npy'));
  return {
    x: { data: npyToFloat32(x), dims: x.shape },
    t: Array.from(t.data as BigInt64Array, Number),
    context: { data: npyToFloat32(context), dims: context.shape },
    mask: mask.data as BigInt64Array,
  };
}

export const runCase = (dit: PixArtRunner, c: DitCase, mask = c.mask): Promise<DenoiserResult> => dit.evaluateDetailed(c.x, c.t, c.context, mask);
