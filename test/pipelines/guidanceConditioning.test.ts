import { describe, expect, it } from 'vitest';
import type { Conditioning, Denoiser } from '../../engine/denoiser/denoiser.ts';
import { guidedModel } from '../../engine/pipelines/guidance.ts';

/** A denoiser that records what it was given and predicts x + (mean of the context row) per batch entry. */
function recording(latentChannels: number, outChannels = latentChannels) {
  const seen: Conditioning[] = [];
  const d = {
    architecture: 'fake', inChannels: latentChannels, latentChannels, contextDim: 2,
    async run(x: { data: Float32Array; dims: readonly number[] }, _t: readonly number[], c: Conditioning) {
      seen.push(c);
      const [B, , h, w] = x.dims;
      const plane = h * w;
      const rowLen = c.context.data.length / B;
      const out = new Float32Array(B * outChannels * plane);
      for (let b = 0; b < B; b++) {
        const mean = c.context.data.subarray(b * rowLen, (b + 1) * rowLen).reduce((a, v) => a + v, 0) / rowLen;
        for (let i = 0; i < outChannels * plane; i++) out[b * outChannels * plane + i] = (i < latentChannels * plane ? x.data[b * latentChannels * plane + i] : 100) + mean;
      }
      return { output: out, dims: [B, outChannels, h, w], extras: {} };
    },
  } as unknown as Denoiser;
  return { d, seen };
}

const row = (v: number, maskOn: number, ratio: number): Conditioning => ({
  context: { data: new Float32Array(3 * 2).fill(v), dims: [1, 3, 2] },
  contextMask: { data: Float32Array.from({ length: 3 }, (_, i) => (i < maskOn ? 1 : 0)), dims: [1, 3] },
  extra: { aspect_ratio: { data: Float32Array.of(ratio), dims: [1, 1] } },
});

describe('guidance over Conditioning rows', () => {
  it('batches context, mask and micro-conditions as [uncond, cond] and guides the first latent channels only', async () => {
    const { d, seen } = recording(1, 2); // learned sigma: 2 output channels, the first is the prediction
    const model = guidedModel(d, row(1, 2, 0.5), row(0, 1, 0.25), 3, [1, 1, 1, 2]);
    const out = await model(Float32Array.of(10, 20), 500, 0, { index: 0, count: 1 } as never);
    const c = seen[0];
    expect(c.context.dims).toEqual([2, 3, 2]);
    expect(Array.from(c.context.data)).toEqual([0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1]);
    expect(c.contextMask?.dims).toEqual([2, 3]);
    expect(Array.from(c.contextMask!.data)).toEqual([1, 0, 0, 1, 1, 0]);
    expect(Array.from(c.extra!.aspect_ratio.data)).toEqual([0.25, 0.5]);
    // uncond = x + 0, cond = x + 1: guided = x + 3·1; the variance channel (100) never leaks in.
    expect(Array.from(out)).toEqual([13, 23]);
  });

  it('at cfg 1 only the conditional row runs, unbatched', async () => {
    const { d, seen } = recording(1);
    const model = guidedModel(d, row(2, 3, 1), row(0, 1, 1), 1, [1, 1, 1, 1]);
    expect(Array.from(await model(Float32Array.of(5), 10, 0, { index: 0, count: 1 } as never))).toEqual([7]);
    expect(seen[0].context.dims).toEqual([1, 3, 2]);
  });

  it('rows that disagree in shape are a SHAPE_MISMATCH naming them', () => {
    const { d } = recording(1);
    const short: Conditioning = { ...row(0, 1, 1), context: { data: new Float32Array(2), dims: [1, 1, 2] } };
    expect(() => guidedModel(d, row(1, 1, 1), short, 2, [1, 1, 1, 1])).toThrow(/text states differ in shape/);
    const { contextMask: _dropped, ...noMask } = row(0, 1, 1);
    expect(() => guidedModel(d, row(1, 1, 1), noMask, 2, [1, 1, 1, 1])).toThrow(/only some conditioning rows carry contextMask/);
  });
});
