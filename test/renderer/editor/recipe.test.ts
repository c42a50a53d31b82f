import { describe, expect, it } from 'vitest';
import { DEFAULT_PROMPT, DEFAULT_RUN, buildJobRequest, describeLocalBlend, resolveSeed, settingsFromRecipe } from '../../../renderer/src/editor/recipe.ts';
import { formatDuration, remainingSeconds } from '../../../renderer/src/editor/timing.ts';

const run = { ...DEFAULT_RUN, model: '/m/toy.safetensors', seed: 42 };

describe('job requests and recipes', () => {
  it('generate sends the plain edited prompt and the run settings', () => {
    const r = buildJobRequest('generate', { ...run, tokenMerging: true, tokenMergingRatio: 0.4 }, { ...DEFAULT_PROMPT, targetPrompt: 'a (red:1.3) circle' }, 42);
    expect(r).toEqual({
      op: 'jobs.generate',
      request: expect.objectContaining({ prompt: 'a red circle', seed: 42, steps: 20, width: 64, height: 64, tokenMerging: { ratio: 0.4 } }),
    });
  });

  it('edit sends both prompts, the weights, local-blend words and the injection fractions', () => {
    const prompt = { ...DEFAULT_PROMPT, sourcePrompt: 'a red circle', targetPrompt: 'a (green:1.5) circle', localBlendWords: ['green'], crossReplace: 0.6, selfReplace: 0.2 };
    const r = buildJobRequest('edit', run, prompt, 1, { image: { imageId: 'abc' } });
    expect(r.op).toBe('jobs.edit');
    expect(r.request).toMatchObject({ sourcePrompt: 'a red circle', targetPrompt: 'a green circle', wordWeights: { green: 1.5 }, localBlendWords: ['green'], crossReplaceSteps: 0.6, selfReplaceSteps: 0.2, image: { imageId: 'abc' } });
    expect(r.request).not.toHaveProperty('width');
  });

  it('edit always sends the local-blend threshold: the default 0.3, or the editor value', () => {
    expect(DEFAULT_PROMPT.localBlendThreshold).toBe(0.3);
    const plain = buildJobRequest('edit', run, DEFAULT_PROMPT, 1);
    expect(plain.request).toMatchObject({ localBlendThreshold: 0.3, localBlendWords: [] });
    const raised = buildJobRequest('edit', run, { ...DEFAULT_PROMPT, localBlendWords: ['green'], localBlendThreshold: 0.8 }, 1);
    expect(raised.request).toMatchObject({ localBlendWords: ['green'], localBlendThreshold: 0.8 });
    // Generate and inpaint have no local blending.
    expect(buildJobRequest('generate', run, { ...DEFAULT_PROMPT, localBlendThreshold: 0.8 }, 1).request).not.toHaveProperty('localBlendThreshold');
  });

  it('restores the local-blend threshold from an edit recipe, 0.3 when the recipe has none', () => {
    const r = buildJobRequest('edit', run, { ...DEFAULT_PROMPT, localBlendWords: ['green'], localBlendThreshold: 0.8 }, 1);
    expect(settingsFromRecipe('jobs.edit', r.request as Record<string, unknown>).prompt).toMatchObject({ localBlendWords: ['green'], localBlendThreshold: 0.8 });
    expect(settingsFromRecipe('edit', { sourcePrompt: 'a', targetPrompt: 'b' }).prompt.localBlendThreshold).toBe(0.3);
    expect(settingsFromRecipe('edit', { sourcePrompt: 'a', targetPrompt: 'b', localBlendThreshold: 'high' }).prompt.localBlendThreshold).toBe(0.3);
    expect(settingsFromRecipe('generate', { prompt: 'a' }).prompt).not.toHaveProperty('localBlendThreshold');
  });

  it('the history line names the threshold only when it differs from 0.3 and words are blended', () => {
    expect(describeLocalBlend({ localBlendWords: ['green'], localBlendThreshold: 0.3 })).toBeNull();
    expect(describeLocalBlend({ localBlendWords: ['green'] })).toBeNull();
    expect(describeLocalBlend({ localBlendWords: [], localBlendThreshold: 0.8 })).toBeNull();
    expect(describeLocalBlend({ localBlendWords: ['green'], localBlendThreshold: 0.8 })).toBe('region threshold 0.8');
  });

  it('inpaint needs an image and a mask, and says so in plain words', () => {
    expect(() => buildJobRequest('inpaint', run, DEFAULT_PROMPT, 1)).toThrow(/Open an image/);
    expect(() => buildJobRequest('inpaint', run, DEFAULT_PROMPT, 1, { image: { base64: 'x' } })).toThrow(/Paint a mask/);
    expect(() => buildJobRequest('generate', { ...run, model: null }, DEFAULT_PROMPT, 1)).toThrow(/Choose a model/);
  });

  it('random seeds are drawn before the request so the recipe records them', () => {
    expect(resolveSeed({ ...run, seedMode: 'random' }, () => 0.5)).toBe(2 ** 31);
    expect(resolveSeed(run, () => 0.5)).toBe(42);
  });

  it('restores settings from a recipe (round trip of a generate request)', () => {
    const r = buildJobRequest('generate', { ...run, steps: 7, cfg: 3, sampler: 'euler' }, { ...DEFAULT_PROMPT, targetPrompt: 'a blue square' }, 99);
    const back = settingsFromRecipe('generate', r.request as Record<string, unknown>);
    expect(back.run).toMatchObject({ steps: 7, cfg: 3, sampler: 'euler', seed: 99, seedMode: 'fixed', model: run.model, tokenMerging: false });
    expect(back.prompt).toMatchObject({ targetPrompt: 'a blue square', sourcePrompt: 'a blue square' });
    const edit = settingsFromRecipe('jobs.edit', { sourcePrompt: 'a', targetPrompt: 'b', crossReplaceSteps: 0.5, localBlendWords: ['b'] });
    expect(edit.prompt).toEqual({ sourcePrompt: 'a', targetPrompt: 'b', crossReplace: 0.5, localBlendWords: ['b'], localBlendThreshold: 0.3 });
    // An edit's weights come back into the text as (word:w).
    const weighted = buildJobRequest('edit', run, { ...DEFAULT_PROMPT, sourcePrompt: 'a red circle', targetPrompt: 'a (green:1.5) circle' }, 3);
    expect(settingsFromRecipe('jobs.edit', weighted.request as Record<string, unknown>).prompt.targetPrompt).toBe('a (green:1.5) circle');
  });

  it('estimates remaining time from the average pace', () => {
    expect(remainingSeconds(5, 20, 10)).toBe(30);
    expect(remainingSeconds(0, 20, 10)).toBeNull();
    expect(formatDuration(30)).toBe('30s');
    expect(formatDuration(125)).toBe('2m 05s');
    expect(formatDuration(null)).toBe('–');
  });

  it('the LoRA picker\'s choices travel in every job request and come back from a recipe', () => {
    const withLoras = { ...run, loras: [{ name: 'inkStyle', scale: 0.7 }] };
    for (const kind of ['generate', 'edit'] as const) {
      expect(buildJobRequest(kind, withLoras, DEFAULT_PROMPT, 1).request).toMatchObject({ loras: [{ name: 'inkStyle', scale: 0.7 }] });
    }
    expect(buildJobRequest('generate', run, DEFAULT_PROMPT, 1).request).not.toHaveProperty('loras');
    expect(settingsFromRecipe('jobs.generate', { prompt: 'x', loras: [{ name: 'inkStyle', scale: 0.7 }, { bad: 1 }] }).run.loras).toEqual([{ name: 'inkStyle', scale: 0.7 }]);
    expect(settingsFromRecipe('jobs.generate', { prompt: 'x' }).run.loras).toEqual([]);
  });
});
