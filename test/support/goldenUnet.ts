import { join } from 'node:path';
import { detectModel } from '../../engine/models/detect.ts';
import type { StableDiffusionSpec } from '../../engine/models/spec.ts';
import { npyToFloat32, readNpy } from '../../engine/npy/npy.ts';
import { sharedPath } from './shared.ts';

export interface UNetCase {
  x: Float32Array;
  xDims: number[];
  t: number[];
  context: Float32Array;
  contextDims: number[];
}

export const sd15Tiny = (...p: string[]): string => sharedPath('golden', 'sd15-tiny', ...p);

/** The sd15-tiny F32 checkpoint with its config, and one of its golden UNet inputs. */
export async function goldenUNetCase(name = 'unet_case1'): Promise<{ spec: StableDiffusionSpec; input: UNetCase }> {
  const spec = await detectModel(sd15Tiny('sd15-tiny.f32.safetensors'), { configPath: sd15Tiny('config.json') });
  if (spec.family === 'taesd' || spec.family === 'pixart' || spec.family === 'sdxl') throw new Error('expected Stable Diffusion');
  const d = sd15Tiny('golden', name);
  const [x, t, context] = await Promise.all(['x', 't', 'context'].map((a) => readNpy(join(d, `${a}.npy`))));
  return {
    spec,
    input: { x: npyToFloat32(x), xDims: x.shape, t: Array.from(t.data as BigInt64Array, Number), context: npyToFloat32(context), contextDims: context.shape },
  };
}
