import { describe, expect, it, vi } from 'vitest';
import { canvasLayers } from '../../../renderer/src/editor/canvasLayers.ts';
import { modelDisplayName, modelRole } from '../../../renderer/src/editor/modelNames.ts';
import { NO_CHANGE_REASON, SAMPLER_EDIT_REASON, TOME_EDIT_REASON } from '../../../renderer/src/editor/runBlockers.ts';
import { createStudioStore } from '../../../renderer/src/state/store.ts';
import { fakePlatform, fakeStudioConnection, TOY_MODELS } from '../../support/fakeStudioConnection.ts';

const at = 0;

async function studio() {
  const fake = fakeStudioConnection();
  const store = createStudioStore(fake.connection, fakePlatform);
  await store.getState().refreshModels();
  /** Submits a run and finishes it with one image. */
  const finish = async (kind: 'generate' | 'edit' | 'inpaint', imageId: string, seed = 1) => {
    const jobId = (await store.getState().runJob(kind))!;
    expect(jobId, store.getState().runProblem?.message).toBeTruthy();
    fake.emit({ type: 'done', jobId, at, images: [{ imageId, width: 64, height: 64, seed }] });
    await vi.waitFor(() => expect(store.getState().results.some((r) => r.imageId === imageId)).toBe(true));
    return jobId;
  };
  const lastCall = (op: string) => fake.calls.filter((c) => c.op === op).at(-1)!.req;
  return { store, finish, lastCall, ...fake };
}

describe('the working image (no React)', () => {
  it('a second Generate becomes the working image, Edit edits it, and the source prompt follows it', async () => {
    const { store, finish, lastCall } = await studio();
    store.getState().setPrompt({ targetPrompt: 'a red circle' });
    await finish('generate', 'g1');
    store.getState().setPrompt({ targetPrompt: 'a blue square' });
    await finish('generate', 'g2');
    expect(store.getState().source?.input).toEqual({ imageId: 'g2' });
    expect(store.getState().prompt.sourcePrompt).toBe('a blue square');
    store.getState().setPrompt({ targetPrompt: 'a green square' });
    await store.getState().runJob('edit');
    expect(lastCall('jobs.edit')).toMatchObject({ image: { imageId: 'g2' }, sourcePrompt: 'a blue square', targetPrompt: 'a green square' });
  });

  it('text typed in the edited prompt while a generation runs is kept when the result arrives', async () => {
    const { store, emit } = await studio();
    store.getState().setPrompt({ targetPrompt: 'a red circle' });
    const jobId = (await store.getState().runJob('generate'))!;
    store.getState().setPrompt({ targetPrompt: 'a red circle on green grass' });
    emit({ type: 'done', jobId, at, images: [{ imageId: 'g1', width: 64, height: 64, seed: 1 }] });
    await vi.waitFor(() => expect(store.getState().source?.input).toEqual({ imageId: 'g1' }));
    expect(store.getState().prompt).toMatchObject({ sourcePrompt: 'a red circle', targetPrompt: 'a red circle on green grass' });
  });

  it('an edit result becomes the working image beside what it was made from; pinned, results are shown beside the pinned image', async () => {
    const { store, finish } = await studio();
    store.getState().setSource({ url: 'blob:p', width: 64, height: 64, input: { base64: 'AA==' }, name: 'photo.png' });
    store.getState().setPrompt({ sourcePrompt: 'a red circle', targetPrompt: 'a green circle' });
    const doc = store.getState().maskDoc;
    doc.beginStroke('paint', { size: 8, hardness: 1 }, 10, 10);
    doc.extendStroke(30, 30);
    doc.endStroke();
    await finish('edit', 'e1');
    const s = store.getState();
    // A result of the working image keeps its mask; a new generation starts clean.
    expect(s.maskOps).toHaveLength(1);
    expect(s.source).toMatchObject({ input: { imageId: 'e1' }, name: 'Edited 1' });
    expect(s.origin).toMatchObject({ name: 'photo.png' });
    expect(canvasLayers(s.source!, s.result, s.origin, null)).toMatchObject({ working: 'after', beforeLabel: 'Made from: photo.png', afterLabel: 'Result, now editing: Edited 1' });
    store.getState().setPinned(true);
    store.getState().setPrompt({ targetPrompt: 'a yellow circle' });
    await finish('edit', 'e2');
    const p = store.getState();
    expect(p.source?.input).toEqual({ imageId: 'e1' });
    expect(p.result).toMatchObject({ input: { imageId: 'e2' }, name: 'Edited 2' });
    expect(p.prompt).toMatchObject({ sourcePrompt: 'a green circle', targetPrompt: 'a yellow circle' });
    expect(canvasLayers(p.source!, p.result, p.origin, null)).toMatchObject({ working: 'before', beforeLabel: 'Editing: Edited 1', afterLabel: 'Result: Edited 2' });
    store.getState().setPinned(false);
    await finish('generate', 'g3');
    expect(store.getState().source?.input).toEqual({ imageId: 'g3' });
    expect(store.getState().origin).toBeNull();
    expect(store.getState().maskOps).toHaveLength(0);
  });

  it('Edit with nothing changed, or with token merging on, is refused with the reason (shortcut too)', async () => {
    const { store, calls } = await studio();
    expect(await store.getState().runJob('edit')).toBeNull();
    expect(store.getState().runProblem?.message).toBe(NO_CHANGE_REASON);
    store.getState().setPrompt({ targetPrompt: 'a green circle on a blue background' });
    store.getState().setRun({ tokenMerging: true });
    expect(await store.getState().runJob('edit')).toBeNull();
    expect(store.getState().runProblem?.message).toBe(TOME_EDIT_REASON);
    expect(calls.some((c) => c.op === 'jobs.edit')).toBe(false);
    store.getState().setRun({ tokenMerging: false });
    expect(await store.getState().runJob('edit')).toBeTruthy();
    // An image is inverted with DDIM: another sampler cannot edit it (one from a seed can).
    store.getState().setRun({ sampler: 'euler' });
    expect(await store.getState().runJob('edit')).toBeTruthy();
    store.getState().setSource({ url: 'blob:p', width: 64, height: 64, input: { base64: 'AA==' }, name: 'photo.png' });
    expect(await store.getState().runJob('edit')).toBeNull();
    expect(store.getState().runProblem?.message).toBe(SAMPLER_EDIT_REASON);
    store.getState().setRun({ sampler: 'ddim' });
    // A weight alone is a change.
    store.getState().setPrompt({ targetPrompt: '(a:1.2) red circle on a blue background' });
    expect(await store.getState().runJob('edit')).toBeTruthy();
  });

  it('Show attention reads the working image: a generation by its recorded seed and prompt, not the run panel’s', async () => {
    const { store, finish, lastCall } = await studio();
    store.getState().setRun({ seed: 7, steps: 6 });
    store.getState().setPrompt({ targetPrompt: 'a red circle' });
    await finish('generate', 'g1', 7);
    store.getState().setRun({ seed: 999, steps: 30 });
    store.getState().setPrompt({ targetPrompt: 'a green circle' });
    await store.getState().requestAttention();
    expect(lastCall('jobs.attention')).toMatchObject({ seed: 7, steps: 6, prompt: 'a red circle', width: 64, height: 64 });
    expect(lastCall('jobs.attention')).not.toHaveProperty('image');
    // Nothing on the canvas: nothing to read.
    const empty = await studio();
    await empty.store.getState().requestAttention();
    expect(empty.calls.some((c) => c.op === 'jobs.attention')).toBe(false);
    expect(empty.store.getState().attention.problem?.message).toMatch(/Open or generate an image/);
  });

  it('the settings list names each file by what it is', () => {
    const encoder = { ...TOY_MODELS[2], name: 'model', path: '/m/image_encoder/model.safetensors' };
    expect(modelDisplayName(encoder, '/m')).toBe('image_encoder/model.safetensors');
    expect(modelRole(encoder)).toMatch(/Image encoder/);
    expect(modelRole(TOY_MODELS[1])).toMatch(/IP-Adapter/);
    expect(modelRole(TOY_MODELS[0])).toBe('Image model');
    expect(modelDisplayName(TOY_MODELS[0], '/m')).toBe('toy.safetensors');
  });
});
