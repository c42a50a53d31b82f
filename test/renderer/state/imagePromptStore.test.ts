import { describe, expect, it, vi } from 'vitest';
import { createStudioStore } from '../../../renderer/src/state/store.ts';
import { IMAGE_PROMPT_EDIT_REASON } from '../../../renderer/src/editor/runBlockers.ts';
import { fakePlatform, fakeStudioConnection } from '../../support/fakeStudioConnection.ts';

const ADAPTER = '/m/ip-adapter_toy.safetensors';
const png = (n: number) => ({ blob: new Blob([new Uint8Array(n)], { type: 'image/png' }), name: `ref${n}.png` });
const at = 0;

async function ready() {
  const fake = fakeStudioConnection();
  const store = createStudioStore(fake.connection, fakePlatform);
  await store.getState().refreshModels();
  return { ...fake, store };
}

describe('image prompts in the store', () => {
  it('keeps the adapter and encoder out of the model choice', async () => {
    const { store } = await ready();
    expect(store.getState().run.model).toBe('/m/toy.safetensors');
  });

  it('adds reference images with a scale suited to the prompt, up to eight, and refuses unreadable files in place', async () => {
    const { store } = await ready();
    store.getState().setPrompt({ targetPrompt: '' });
    await store.getState().addReferenceImages([png(1)]);
    store.getState().setPrompt({ targetPrompt: 'a red circle' });
    await store.getState().addReferenceImages([png(2)]);
    expect(store.getState().imagePrompt.images.map((i) => [i.name, i.scale])).toEqual([['ref1.png', 1], ['ref2.png', 0.5]]);
    await store.getState().addReferenceImages([{ blob: new Blob(['x'], { type: 'text/plain' }), name: 'notes.txt' }]);
    expect(store.getState().imagePromptProblem?.message).toMatch(/notes\.txt was not added/);
    await store.getState().addReferenceImages([3, 4, 5, 6, 7, 8, 9].map(png));
    expect(store.getState().imagePrompt.images).toHaveLength(8);
    expect(store.getState().imagePromptProblem?.message).toMatch(/Up to 8/);
    const key = store.getState().imagePrompt.images[0].key;
    store.getState().setReferenceScale(key, 1.5);
    store.getState().removeReferenceImage(store.getState().imagePrompt.images[1].key);
    expect(store.getState().imagePrompt.images.map((i) => i.scale).slice(0, 2)).toEqual([1.5, 0.5]);
    expect(store.getState().imagePrompt.images).toHaveLength(7);
  });

  it('generate carries imagePrompts and the listed adapter only when a reference image is set', async () => {
    const { store, calls } = await ready();
    await store.getState().runJob('generate');
    expect(calls.at(-1)!.req).not.toHaveProperty('imagePrompts');
    await store.getState().addReferenceImages([png(1)]);
    store.getState().setBlockPreset('style');
    await store.getState().runJob('generate');
    expect(calls.at(-1)).toMatchObject({ op: 'jobs.generate', req: { imagePrompts: [{ image: { base64: 'iVBOR-1' }, scale: 0.5 }], ipAdapter: { path: ADAPTER, blocks: 'style' } } });
  });

  it('Edit with an image prompt is refused before it is sent, with the reason; scale 0 is no image prompt', async () => {
    const { store, calls } = await ready();
    await store.getState().addReferenceImages([png(1)]);
    store.getState().setPrompt({ targetPrompt: 'a green circle on a blue background' });
    expect(await store.getState().runJob('edit')).toBeNull();
    expect(store.getState().runProblem?.message).toBe(IMAGE_PROMPT_EDIT_REASON);
    expect(calls.some((c) => c.op === 'jobs.edit')).toBe(false);
    store.getState().setReferenceScale(store.getState().imagePrompt.images[0].key, 0);
    expect(await store.getState().runJob('edit')).toBeTruthy();
  });

  it('restoring a recipe brings back what it can and names the images it cannot', async () => {
    const { store } = await ready();
    await store.getState().addReferenceImages([png(1)]);
    store.getState().applyRecipe('jobs.generate', {
      model: '/m/toy.safetensors', prompt: 'a blue square', steps: 9,
      imagePrompts: [{ image: { base64: 'iVBORw0KGgo' }, scale: 0.7 }, { image: { imageId: 'old-session-result' }, scale: 1 }],
      ipAdapter: { path: ADAPTER, blocks: 'layout' },
    });
    const s = store.getState();
    expect(s.prompt.targetPrompt).toBe('a blue square');
    expect(s.imagePrompt).toMatchObject({ adapter: ADAPTER, preset: 'layout', images: [{ input: { base64: 'iVBORw0KGgo' }, url: 'data:image/png;base64,iVBORw0KGgo', scale: 0.7 }] });
    expect(s.imagePromptProblem?.message).toMatch(/reference image from the recipe is not available \(scale 1: result old-sess/);
    // A recipe without image prompts made its image without them: restoring empties the list.
    store.getState().applyRecipe('jobs.generate', { prompt: 'plain' });
    expect(store.getState().imagePrompt.images).toEqual([]);
    expect(store.getState().imagePromptProblem).toBeNull();
  });
});

describe('style transfer in the store', () => {
  it('stylizes the source with the chosen style image and the painted mask; the result enters the history with its recipe', async () => {
    const { store, calls, emit } = await ready();
    expect(await store.getState().runStylize()).toBeNull();
    expect(store.getState().runProblem?.message).toMatch(/Open the image/);
    store.getState().setSource({ url: 'blob:src', width: 64, height: 64, input: { imageId: 'src' }, name: 'photo.png' });
    await store.getState().setStyleImage(png(5));
    store.getState().setStyle({ gamma: 0.3, steps: 6 });
    const plainId = (await store.getState().runStylize())!;
    expect(calls.at(-1)).toEqual({ op: 'jobs.stylize', req: { model: '/m/toy.safetensors', content: { imageId: 'src' }, style: { base64: 'iVBOR-5' }, gamma: 0.3, temperature: 1.5, steps: 6 } });
    expect(store.getState().jobs[plainId]).toMatchObject({ kind: 'stylize', title: 'Stylize · ref5.png' });

    store.getState().maskDoc.beginStroke('paint', { size: 8, hardness: 1 }, 10, 10);
    store.getState().maskDoc.endStroke();
    const maskedId = (await store.getState().runStylize())!;
    expect(calls.at(-1)!.req).toMatchObject({ mask: { base64: 'bWFzaw==' }, maskFeather: store.getState().run.maskFeather });

    emit({ type: 'done', jobId: maskedId, at, images: [{ imageId: 'styled', width: 64, height: 64 }] });
    await vi.waitFor(() => expect(store.getState().results).toHaveLength(1));
    expect(store.getState().results[0]).toMatchObject({ kind: 'stylize', op: 'jobs.stylize', request: { gamma: 0.3, style: { base64: 'iVBOR-5' } } });
    expect(store.getState().resultId).toBe('styled');

    // Restore puts the style settings back, not the run panel's steps.
    store.getState().setStyle({ gamma: 0.9, steps: 50 });
    store.getState().clearStyleImage();
    const runSteps = store.getState().run.steps;
    store.getState().restoreResult('styled');
    expect(store.getState().style).toMatchObject({ gamma: 0.3, temperature: 1.5, steps: 6, style: { input: { base64: 'iVBOR-5' } } });
    expect(store.getState().run.steps).toBe(runSteps);
  });

  it('a stylize recipe whose style image is gone restores the settings and says so', async () => {
    const { store } = await ready();
    store.getState().applyRecipe('jobs.stylize', { model: '/m/toy.safetensors', content: { imageId: 'x' }, style: { imageId: 'gone' }, gamma: 0.4, temperature: 2, steps: 10 });
    expect(store.getState().style).toMatchObject({ gamma: 0.4, temperature: 2, steps: 10, style: null });
    expect(store.getState().styleProblem?.message).toMatch(/style image from the recipe is not available/);
  });
});
