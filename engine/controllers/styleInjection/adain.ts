/**
 * StyleID's initial latent (ALGORITHMS §4.2): per channel, the content latent's mean and
 * standard deviation replaced by the style's — z = (z_c − μ_c)/σ_c · σ_s + μ_s, with μ, σ
 * over H·W (batch 1) and σ torch's unbiased std (N − 1), as the reference's `adain`.
 * Latents [C, H·W] flattened channel-major.
 */
export function adain(content: Float32Array, style: Float32Array, channels: number): Float32Array {
  const n = content.length / channels;
  const stats = (x: Float32Array, c: number) => {
    let mean = 0;
    for (let i = 0; i < n; i++) mean += x[c * n + i];
    mean /= n;
    let v = 0;
    for (let i = 0; i < n; i++) v += (x[c * n + i] - mean) ** 2;
    return { mean, std: Math.sqrt(v / (n - 1)) };
  };
  const out = new Float32Array(content.length);
  for (let c = 0; c < channels; c++) {
    const a = stats(content, c);
    const b = stats(style, c);
    for (let i = 0; i < n; i++) out[c * n + i] = ((content[c * n + i] - a.mean) / a.std) * b.std + b.mean;
  }
  return out;
}
