import { describe, expect, it } from 'vitest';
import { formatParameters, parseParameters } from '../../engine/pipelines/parameters.ts';

describe('A1111 parameters', () => {
  it('writes the layout other tools read', () => {
    const text = formatParameters({
      prompt: 'a red circle, on blue', negativePrompt: 'blurry', steps: 20, sampler: 'euler-a', cfg: 7.5, seed: 42,
      width: 512, height: 768, model: 'toy-shapes', extra: { 'Token merging ratio': 0.5 },
    });
    expect(text).toBe(
      'a red circle, on blue\nNegative prompt: blurry\nSteps: 20, Sampler: Euler a, CFG scale: 7.5, Seed: 42, Size: 512x768, Model: toy-shapes, Token merging ratio: 0.5',
    );
  });

  it('omits the negative line when there is none and round-trips', () => {
    const r = { prompt: 'line one\nline two', steps: 5, sampler: 'dpmpp-2m' as const, cfg: 3, seed: 7, width: 64, height: 64, extra: { 'Denoising strength': '0.6', Note: 'a, b' } };
    const text = formatParameters(r);
    expect(text).not.toContain('Negative prompt');
    expect(parseParameters(text)).toEqual(r);
  });

  it('reads a recipe written by AUTOMATIC1111', () => {
    const a1111 = 'masterpiece, (cat:1.2)\nNegative prompt: lowres\nSteps: 30, Sampler: DPM++ 2M Karras, CFG scale: 6, Seed: 123, Size: 512x512, Model hash: abcdef1234, Model: v1-5';
    expect(parseParameters(a1111)).toMatchObject({ prompt: 'masterpiece, (cat:1.2)', negativePrompt: 'lowres', steps: 30, sampler: 'dpmpp-2m', cfg: 6, seed: 123, model: 'v1-5', modelHash: 'abcdef1234' });
    expect(parseParameters('just a caption')).toBeNull();
  });
});
