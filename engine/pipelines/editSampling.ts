import { StudioError } from '../api/errors.ts';
import type { AttentionStore } from '../controllers/attentionStore/store.ts';
import type { BranchLayout } from '../controllers/p2p/layout.ts';
import { blendTarget, localBlendMask } from '../controllers/p2p/localBlend.ts';
import type { EditPlan } from '../controllers/p2p/plan.ts';
import { type Denoiser, prediction } from '../denoiser/denoiser.ts';
import { createSampler, sample } from '../schedulers/sample.ts';
import type { NoiseSchedule } from '../schedulers/schedule.ts';
import type { ModelFn, NoiseSource, Parameterization, SamplerName } from '../schedulers/types.ts';
import type { StoredInversion } from './inversion.ts';

export interface BranchSampling {
  denoiser: Denoiser;
  plan: EditPlan;
  layout: BranchLayout;
  /** [rows, 77, D] in the layout's order. */
  context: Float32Array;
  contextDims: readonly number[];
  cfg: number;
  /** One branch's latent dims [1, C, h, w]. */
  dims: readonly number[];
  sampler: SamplerName;
  steps: number;
  schedule: NoiseSchedule;
  parameterization: Parameterization;
  /** The shared start: unit noise for a seed, or z*_N of an inversion. */
  start: Float32Array;
  /** For a photo: the source branch is pinned to z*_{N−k−1} after step k (Direct Inversion). */
  inversion?: StoredInversion;
  /**
   * Also add the inversion offset to the target (default). PnP Inversion adds it to the
   * source only; then even an unchanged prompt drifts from the photo by the accumulated
   * offsets, which an identity edit must not do.
   */
  targetOffsets?: boolean;
  stepNoise?: NoiseSource;
  /** Local blend from attention (its running sums) and/or a painted region, latent resolution. */
  store?: AttentionStore;
  blendThreshold?: number;
  painted?: Float32Array;
  onStep?: (done: number, count: number) => void;
  signal?: AbortSignal;
}

/**
 * The model timesteps a sampler will visit, in order; their count is the edit's N (ldm's
 * DDIM spacing can give more steps than asked). Noise is never drawn here, only timesteps.
 */
export function samplerTimesteps(sampler: SamplerName, steps: number, schedule: NoiseSchedule): readonly number[] {
  return createSampler(sampler, { steps, schedule, stepNoise: () => new Float32Array(0) }).timesteps();
}

export interface BranchResult {
  source: Float32Array;
  target: Float32Array;
  /** Where the target was allowed to differ at the last step (latent resolution), or null. */
  region: Float32Array | null;
}

/**
 * Samples the source and the target branch together. The sampler sees one latent of
 * twice the size — every supported sampler is elementwise — and the model callback lays
 * it out as the controllers' batch, guides each branch and hands both ε back.
 */
export async function sampleBranches(r: BranchSampling): Promise<BranchResult> {
  const [, C, h, w] = r.dims;
  const n = C * h * w;
  const plane = h * w;
  const { layout, plan } = r;
  const guided = layout.rows === 4;
  const branchOfRow = guided ? [0, 1, 0, 1] : [0, 1];
  const input = new Float32Array(layout.rows * n);
  const N = plan.steps;
  const order = samplerTimesteps(r.sampler, r.steps, r.schedule);
  if (order.length !== N) throw new StudioError('RUNTIME_FAILURE', `the edit was planned for ${N} steps, the sampler runs ${order.length}`);

  const model: ModelFn = async (x, t, _sigma, step) => {
    branchOfRow.forEach((b, row) => input.set(x.subarray(b * n, (b + 1) * n), row * n));
    const ts = new Array<number>(layout.rows).fill(t);
    const result = await r.denoiser.run({ data: input, dims: [layout.rows, C, h, w] }, ts, { context: { data: r.context, dims: r.contextDims } }, step);
    const out = prediction(r.denoiser, result);
    if (!guided) return out;
    const eps = new Float32Array(2 * n);
    for (let b = 0; b < 2; b++) {
      const u = b * n, c = (2 + b) * n;
      for (let i = 0; i < n; i++) eps[b * n + i] = out[u + i] + r.cfg * (out[c + i] - out[u + i]);
    }
    return eps;
  };

  const blendFactor = r.store?.resolution ?? 1;
  const grid = { height: Math.ceil(h / blendFactor), width: Math.ceil(w / blendFactor) };
  let region: Float32Array | null = null;
  const start = new Float32Array(2 * n);
  start.set(r.start, 0);
  start.set(r.start, n);
  const noise = r.stepNoise;
  const latent = await sample({
    sampler: r.sampler,
    steps: r.steps,
    schedule: r.schedule,
    parameterization: r.parameterization,
    model,
    ...(r.inversion ? { startLatent: start } : { noise: start }),
    ...(noise ? { stepNoise: (k: number) => { const z = noise(k); const both = new Float32Array(2 * n); both.set(z); both.set(z, n); return both; } } : {}),
    signal: r.signal,
    onStep: (info) => {
      const x = info.x;
      if (r.inversion) {
        const z = r.inversion.latents[N - info.step - 1];
        if (!z || z.length !== n) throw new StudioError('RUNTIME_FAILURE', `no stored inversion latent for step ${info.step}`);
        // Direct Inversion's offset d = z* − x_src, applied to both branches: the source lands
        // on z* exactly, and a target that did not move from the source stays on it too.
        const toTarget = r.targetOffsets ?? true;
        for (let i = 0; i < n; i++) {
          if (toTarget) x[n + i] = z[i] + (x[n + i] - x[i]);
          x[i] = z[i];
        }
      }
      region = editRegion(r, grid, { height: h, width: w }, plane);
      if (region) blendTarget(x, region);
      r.onStep?.(info.done, info.count);
    },
  });
  return { source: latent.slice(0, n), target: latent.slice(n), region };
}

function editRegion(r: BranchSampling, grid: { height: number; width: number }, latent: { height: number; width: number }, plane: number): Float32Array | null {
  let region: Float32Array | null = null;
  const sums = r.store?.sum;
  if (r.store && sums) {
    region = localBlendMask({ sums, tokens: r.plan.blendTokens, tokenCount: r.plan.length, grid, latent, threshold: r.blendThreshold });
  }
  if (r.painted) {
    if (r.painted.length !== plane) throw new StudioError('SHAPE_MISMATCH', 'painted mask does not match the latent size');
    region = region ? region.map((v, i) => v * r.painted![i]) : Float32Array.from(r.painted);
  }
  return region;
}
