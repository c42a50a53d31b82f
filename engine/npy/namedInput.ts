import { StudioError } from '../api/errors.ts';
import type { NpyArray } from './npy.ts';

/** A debug module's named `.npy` input of the given rank, or a typed error naming the module and what is wrong. */
export function namedInput(module: string, inputs: Map<string, NpyArray>, name: string, rank: number): NpyArray {
  const a = inputs.get(name);
  if (!a) throw new StudioError('INVALID_REQUEST', `${module}: missing input ${name}`);
  if (a.shape.length !== rank) throw new StudioError('SHAPE_MISMATCH', `${module}: ${name} must have rank ${rank}, got [${a.shape.join(', ')}]`);
  return a;
}
