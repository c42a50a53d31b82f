import { describe, expect, it, vi } from 'vitest';
import type { StudioConnection } from '../../../renderer/src/api/client.ts';
import { attentionAvailable } from '../../../renderer/src/api/attention.ts';
import { mapResolution } from '../../../renderer/src/state/attentionSlice.ts';
import { createStudioStore } from '../../../renderer/src/state/store.ts';

/** A connection that records calls and lets the test emit job events: the store runs without React or a DOM. */
function fakeConnection() {
  let emit: (e: never) => void = () => undefined;
  const calls: { op: string; req: unknown }[] = [];
  const client = new Proxy({}, {
    get: (_t, op: string) => async (req: unknown) => {
      calls.push({ op, req });
      if (op.startsWith('jobs.') && op !== 'jobs.cancel' && op !== 'jobs.list') return { jobId: `job-${calls.length}` };
      if (op === 'models.list') return { dir: '/m', models: [{ id: 'm', name: 'toy', path: '/m/toy.safetensors', kind: 'single-file', sizeBytes: 1, architecture: { family: 'sd1', summary: 'SD 1.x', details: {} }, error: null }] };
      if (op === 'jobs.cancel') return { cancelled: true };
      return {};
    },
  });
  const connection = {
    client,
    transport: 'http',
    imageUrl: (id: string) => `/api/images/${id}.png`,
    onJobEvent: (l: (e: never) => void) => ((emit = l), () => undefined),
  } as unknown as StudioConnection;
  return { connection, calls, emit: (e: object) => emit(e as never) };
}

const at = 0;
const platform = {
  loadImageFile: async () => ({ base64: 'AA==', url: 'blob:x', width: 64, height: 64 }),
  encodeMaskPng: async () => 'bWFzaw==',
  decodeGrey: async () => ({ width: 2, height: 2, data: new Uint8Array([255, 0, 0, 0]) }),
  heatOverlayUrl: async (url: string) => `heat:${url}`,
};

describe('studio store (no React)', () => {
  it('picks the first usable model and submits a generate job with a recorded seed', async () => {
    const { connection, calls } = fakeConnection();
    const store = createStudioStore(connection, platform);
    await store.getState().refreshModels();
    expect(store.getState().run.model).toBe('/m/toy.safetensors');
    const jobId = await store.getState().runJob('generate');
    expect(jobId).toBeTruthy();
    const call = calls.find((c) => c.op === 'jobs.generate')!;
    expect(call.req).toMatchObject({ model: '/m/toy.safetensors', seed: 1, prompt: 'a red circle on a blue background' });
    expect(store.getState().lastSeed).toBe(1);
  });

  it('a model that recommends a guidance scale brings it along when chosen; one that does not keeps the slider', async () => {
    const { connection } = fakeConnection();
    const entry = (path: string, details: Record<string, unknown>) => ({ id: path, name: path, path, kind: 'single-file' as const, sizeBytes: 1, architecture: { family: 'sd1', summary: 'SD 1.x', details }, error: null });
    const store = createStudioStore(connection, platform);
    store.setState({ models: [entry('/m/toy', { guidanceScale: 4 }), entry('/m/sd15', {})] });
    store.getState().setRun({ cfg: 9 });
    store.getState().selectModel('/m/toy');
    expect(store.getState().run.cfg).toBe(4);
    store.getState().setRun({ cfg: 5.5 });
    store.getState().selectModel('/m/toy');
    expect(store.getState().run.cfg).toBe(5.5); // choosing the same model again leaves the user's scale
    store.getState().selectModel('/m/sd15');
    expect(store.getState().run.cfg).toBe(5.5);
  });

  it('explains in place why a run cannot start', async () => {
    const { connection } = fakeConnection();
    const store = createStudioStore(connection, platform);
    expect(await store.getState().runJob('generate')).toBeNull();
    expect(store.getState().runProblem?.message).toMatch(/Choose a model/);
  });

  it('follows job events to progress, results in the history, and starts from a generation', async () => {
    const { connection, emit } = fakeConnection();
    const store = createStudioStore(connection, platform);
    emit({ type: 'queued', jobId: 'j1', at, kind: 'generate', position: 0 });
    emit({ type: 'started', jobId: 'j1', at });
    emit({ type: 'progress', jobId: 'j1', at, step: 3, total: 10, itPerSec: 4.5 });
    expect(store.getState().jobs.j1).toMatchObject({ state: 'running', step: 3, total: 10, itPerSec: 4.5 });
    emit({ type: 'done', jobId: 'j1', at, images: [{ imageId: 'img1', width: 64, height: 64, seed: 5 }] });
    await vi.waitFor(() => expect(store.getState().results).toHaveLength(1));
    expect(store.getState().source).toMatchObject({ input: { imageId: 'img1' }, url: '/api/images/img1.png' });
    emit({ type: 'queued', jobId: 'j2', at, kind: 'inpaint', position: 0 });
    emit({ type: 'failed', jobId: 'j2', at, error: { code: 'CHECKPOINT_UNSUPPORTED', message: 'no' } });
    expect(store.getState().jobs.j2).toMatchObject({ state: 'failed', error: { code: 'CHECKPOINT_UNSUPPORTED' } });
  });

  it('undo covers mask edits, never engine results', async () => {
    const { connection, emit } = fakeConnection();
    const store = createStudioStore(connection, platform);
    const s = store.getState();
    s.setSource({ url: 'blob:x', width: 64, height: 64, input: { base64: 'AA==' }, name: 'photo.png' });
    s.maskDoc.beginStroke('paint', { size: 8, hardness: 1 }, 10, 10);
    s.maskDoc.extendStroke(30, 30);
    s.maskDoc.endStroke();
    expect(store.getState().canUndo).toBe(true);
    emit({ type: 'done', jobId: 'j9', at, images: [{ imageId: 'r1', width: 64, height: 64 }] });
    await vi.waitFor(() => expect(store.getState().results).toHaveLength(1));
    store.getState().maskCommand('undo');
    expect(store.getState().maskOps).toHaveLength(0);
    expect(store.getState().results).toHaveLength(1);
    expect(store.getState().resultId).toBe('r1');
    expect(store.getState().canUndo).toBe(false);
  });

  it('restores settings from a result and continues editing from it', async () => {
    const { connection } = fakeConnection();
    const store = createStudioStore(connection, platform);
    await store.getState().refreshModels();
    store.getState().addResult({
      imageId: 'r2', jobId: 'j', kind: 'edit', op: 'jobs.edit', url: '/r2.png', width: 64, height: 64, createdAt: 0,
      request: { model: '/m/toy.safetensors', sourcePrompt: 'a cat', targetPrompt: 'a dog', steps: 12, seed: 9, cfg: 5, crossReplaceSteps: 0.3 },
    });
    store.getState().setPrompt({ localBlendThreshold: 0.8 });
    store.getState().restoreResult('r2');
    expect(store.getState().run).toMatchObject({ steps: 12, seed: 9, cfg: 5, seedMode: 'fixed' });
    // A recipe without a local-blend threshold ran with the default one.
    expect(store.getState().prompt).toMatchObject({ sourcePrompt: 'a cat', targetPrompt: 'a dog', crossReplace: 0.3, localBlendThreshold: 0.3 });
    store.getState().continueFrom('r2');
    expect(store.getState().source?.input).toEqual({ imageId: 'r2' });
    expect(store.getState().prompt).toMatchObject({ sourcePrompt: 'a dog', targetPrompt: 'a dog' });
  });

  it('X swaps the split sides, or before/after in single view', () => {
    const { connection } = fakeConnection();
    const store = createStudioStore(connection, platform);
    store.getState().swapCompare();
    expect(store.getState().swapped).toBe(true);
    store.getState().setCompare({ compareView: 'after' });
    store.getState().swapCompare();
    expect(store.getState().compareView).toBe('before');
  });

  it.skipIf(!attentionAvailable())('attention maps are kept per word, shown on hover, and never enter the history', async () => {
    const { connection, calls, emit } = fakeConnection();
    const store = createStudioStore(connection, platform);
    await store.getState().refreshModels();
    store.getState().setSource({ url: 'blob:x', width: 64, height: 64, input: { base64: 'AA==' }, name: 'photo.png' });
    await store.getState().requestAttention();
    const call = calls.find((c) => c.op === 'jobs.attention')!;
    expect(call.req).toMatchObject({ prompt: 'a red circle on a blue background', model: '/m/toy.safetensors', image: { base64: 'AA==' } });
    const jobId = store.getState().attention.jobId!;
    emit({ type: 'done', jobId, at, images: [{ imageId: 'm1', width: 16, height: 16, label: 'circle' }, { imageId: 'm2', width: 16, height: 16, label: 'red' }] });
    await vi.waitFor(() => expect(store.getState().attention.status).toBe('ready'));
    expect(store.getState().mapFor('Circle')).toEqual({ imageId: 'm1', url: '/api/images/m1.png', overlay: 'heat:/api/images/m1.png' });
    expect(call.req).toMatchObject({ resolution: 1 });
    expect(mapResolution(512, 512)).toBe(4);
    expect(mapResolution(64, 64)).toBe(1);
    // the toy model: f4, cross-attention at 2 and 4 only
    const toy = { factor: 4, resolutions: [2, 4] };
    expect(mapResolution(64, 64, toy)).toBe(2);
    expect(mapResolution(256, 256, toy)).toBe(4);
    expect(mapResolution(128, 128, toy)).toBe(2);
    expect(store.getState().mapFor('dog')).toBeNull();
    expect(store.getState().results).toHaveLength(0);
  });
});
