import { StudioError } from '../api/errors.ts';
import { throwIfCancelled } from './guards.ts';
import { DdimSampler } from './ddim.ts';
import { KDiffusionSampler } from './kdiffusion.ts';
import { stepsForStrength } from './schedule.ts';
import type { ModelFn, Sampler, SamplerName, SamplerOptions, StepHook } from './types.ts';

export function createSampler(name: SamplerName, options: SamplerOptions): Sampler {
  switch (name) {
    case 'ddim':
      return new DdimSampler(options);
    case 'euler':
    case 'euler-a':
    case 'dpmpp-2m':
      return new KDiffusionSampler(name, options);
    default:
      throw new StudioError('INVALID_REQUEST', `unknown sampler '${String(name)}'`);
  }
}

export interface SampleOptions extends SamplerOptions {
  sampler: SamplerName;
  model: ModelFn;
  /**
   * Unit Gaussian noise of the latent's size: the start of a full run, the noise added for
   * img2img. Required unless `startLatent` is given.
   */
  noise?: Float32Array;
  /**
   * img2img / inpainting: the clean latent to start from. With strength s < 1 the run
   * executes the last floor(s·N) of the N steps, starting from `init` noised to the
   * level of the first one. Strength 1 starts from pure noise exactly like text-to-image
   * (so an inpainting run at full strength is a normal generation plus the blend hook).
   */
  init?: Float32Array;
  /**
   * An already-noised start latent in the sampler's working space at the level of the
   * first executed step — e.g. the last latent of `invertDdim` with the same strength.
   * Takes precedence over `init` and `noise`.
   */
  startLatent?: Float32Array;
  /** Fraction of the schedule to run, in [0, 1]; default 1. */
  strength?: number;
  /** After every step; may overwrite `info.x` in place (inpainting blend). */
  onStep?: StepHook;
  /** Checked before every step; a cancelled run throws StudioError CANCELLED. */
  signal?: AbortSignal;
}

/**
 * Runs a sampler from noise (or an img2img start) to the final latent, which is in
 * diffusion space, ready for the VAE decoder. The returned array is a fresh buffer.
 */
export async function sample(options: SampleOptions): Promise<Float32Array> {
  const sampler = createSampler(options.sampler, options);
  const { model, noise, init, startLatent, onStep, signal } = options;
  const total = sampler.timesteps().length;
  const count = stepsForStrength(total, options.strength ?? 1);
  const first = total - count;
  const size = (startLatent ?? init ?? noise)?.length ?? 0;
  for (const [what, arr] of [['noise', noise], ['init', init], ['startLatent', startLatent]] as const) {
    if (arr && arr.length !== size) {
      throw new StudioError('INVALID_REQUEST', `${what} has ${arr.length} values, expected ${size}`);
    }
  }

  let x: Float32Array;
  if (startLatent) x = Float32Array.from(startLatent);
  else if (count === 0 && init) return Float32Array.from(init);
  else if (!noise) throw new StudioError('INVALID_REQUEST', 'sampling needs start noise (or startLatent)');
  else if (first === 0) x = sampler.initial(noise);
  else if (!init) throw new StudioError('INVALID_REQUEST', 'strength < 1 needs an init latent (or startLatent)');
  else x = sampler.noised(init, noise, first);

  const sigmas = sampler.sigmas();
  const timesteps = sampler.timesteps();
  for (let k = first; k < total; k++) {
    throwIfCancelled(signal);
    const predX0 = await sampler.step(x, k, model);
    if (onStep) {
      const level = k + 1;
      await onStep({
        step: k,
        done: k - first + 1,
        count,
        timestep: timesteps[k],
        sigma: sigmas[k],
        sigmaNext: sigmas[level],
        x,
        predX0,
        noised: (x0, n) => sampler.noised(x0, n, level),
      });
    }
  }
  return x;
}
