import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Envelope } from '../../engine/api/dispatch.ts';
import { RECIPE_KEY } from '../../engine/export/exportImage.ts';
import { addPngText } from '../../engine/export/pngText.ts';
import { startServer, type RunningServer } from '../../engine/server/server.ts';
import { createHandlers } from '../../engine/studio/handlers.ts';
import { fakeStudio } from '../support/fakeStudio.ts';

const registered = new Map<string, (event: unknown, payload: unknown) => Promise<Envelope>>();
vi.mock('electron', () => ({
  ipcMain: { handle: (channel: string, fn: (e: unknown, p: unknown) => Promise<Envelope>) => registered.set(channel, fn) },
}));
const { registerIpcHandlers } = await import('../../electron/ipc-main.ts');

const recipe = { format: 'latent-studio-recipe', version: 1, operation: 'jobs.generate', request: { prompt: 'a red circle', seed: 7 }, modelHash: null };

async function pngWithRecipe(): Promise<Buffer> {
  const png = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#00f' } }).png().toBuffer();
  return addPngText(png, { parameters: 'a red circle\nSteps: 2, Seed: 7', [RECIPE_KEY]: JSON.stringify(recipe) }, { international: [RECIPE_KEY] });
}

describe('images.recipe over both transports', () => {
  const studio = fakeStudio();
  const handlers = createHandlers(studio);
  let srv: RunningServer;
  let base64: string;
  let path: string;

  beforeAll(async () => {
    srv = await startServer({ handlers, onJobEvent: (l) => studio.queue.onEvent(l), staticDir: tmpdir(), port: 0 });
    registerIpcHandlers(handlers, () => true);
    const bytes = await pngWithRecipe();
    base64 = bytes.toString('base64');
    // Images are read by path only from the studio's folders (here its output folder).
    const outputDir = mkdtempSync(join(tmpdir(), 'ls-recipe-'));
    await studio.settings.override({ outputDir });
    path = join(outputDir, 'with-recipe.png');
    writeFileSync(path, bytes);
  });
  afterAll(() => srv?.close());

  const viaHttp = async (payload: unknown): Promise<Envelope> => {
    const res = await fetch(`http://127.0.0.1:${srv.port}/api/op/images.recipe`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${srv.token}` },
      body: JSON.stringify(payload),
    });
    return (await res.json()) as Envelope;
  };
  const viaIpc = (payload: unknown): Promise<Envelope> => registered.get('studio:images.recipe')!({}, payload);

  it.each([['HTTP', viaHttp], ['IPC', viaIpc]] as const)('%s: reads the recipe from bytes and from a path', async (_name, call) => {
    for (const image of [{ base64 }, { path }]) {
      const env = await call({ image });
      expect(env).toMatchObject({ ok: true, result: { parameters: 'a red circle\nSteps: 2, Seed: 7', recipe } });
    }
  });

  it.each([['HTTP', viaHttp], ['IPC', viaIpc]] as const)('%s: an image without a recipe answers nulls; garbage is a typed error', async (_name, call) => {
    const plain = (await sharp({ create: { width: 4, height: 4, channels: 3, background: '#000' } }).png().toBuffer()).toString('base64');
    expect(await call({ image: { base64: plain } })).toMatchObject({ ok: true, result: { parameters: null, recipe: null } });
    expect(await call({ image: { base64: 'bm90IGFuIGltYWdl' } })).toMatchObject({ ok: false, error: { code: 'IMAGE_INVALID' } });
    expect(await call({ image: { imageId: 'missing' } })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
  });
});
