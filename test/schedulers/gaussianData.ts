import type { ModelFn, Parameterization } from '../../engine/schedulers/types.ts';

/**
 * Closed-form stand-in for a UNet: the exact ε (or v) predictor for data whose every
 * element is independently N(mu, s²). With x_t = sqrt(ᾱ)·x0 + sqrt(1 − ᾱ)·ε the posterior
 * mean is E[x0 | x_t] = mu + sqrt(ᾱ)·s²·(x_t − sqrt(ᾱ)·mu) / (ᾱ·s² + 1 − ᾱ), so a sampler
 * driven by it must turn N(0, 1) noise into N(mu, s²) samples, and its probability-flow
 * ODE has the closed-form solution below.
 */
export function gaussianModel(mu: number, s: number, parameterization: Parameterization = 'eps'): ModelFn {
  return (x, _t, sigma) => {
    const a = 1 / (1 + sigma * sigma);
    const sa = Math.sqrt(a);
    const s1 = Math.sqrt(1 - a);
    const gain = (sa * s * s) / (a * s * s + 1 - a);
    const out = new Float32Array(x.length);
    for (let i = 0; i < x.length; i++) {
      const x0 = mu + gain * (x[i] - sa * mu);
      const eps = (x[i] - sa * x0) / s1;
      out[i] = parameterization === 'eps' ? eps : sa * eps - s1 * x0;
    }
    return out;
  };
}

/**
 * Where the probability-flow ODE takes a k-diffusion latent at σ_from to σ_to for this
 * data: (x − mu) / sqrt(s² + σ²) is constant along every trajectory.
 */
export function exactFlow(x: Float32Array, mu: number, s: number, sigmaFrom: number, sigmaTo: number): Float64Array {
  const scale = Math.sqrt(s * s + sigmaTo * sigmaTo) / Math.sqrt(s * s + sigmaFrom * sigmaFrom);
  return Float64Array.from(x, (v) => mu + (v - mu) * scale);
}

export function meanStd(x: ArrayLike<number>): { mean: number; std: number } {
  let sum = 0;
  for (let i = 0; i < x.length; i++) sum += x[i];
  const mean = sum / x.length;
  let sq = 0;
  for (let i = 0; i < x.length; i++) sq += (x[i] - mean) ** 2;
  return { mean, std: Math.sqrt(sq / x.length) };
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

export function rms(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let sq = 0;
  for (let i = 0; i < a.length; i++) sq += (a[i] - b[i]) ** 2;
  return Math.sqrt(sq / a.length);
}
