import { copyFileSync, mkdirSync, mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dispatch } from '../../engine/api/dispatch.ts';
import { SettingsStore } from '../../engine/studio/settings/store.ts';
import { createHandlers } from '../../engine/studio/handlers.ts';
import { createStudio } from '../../engine/studio/create.ts';
import { allowFolders } from '../support/allowFolders.ts';
import { hasShared, sharedPath } from '../support/shared.ts';

describe.skipIf(!hasShared('golden', 'sd15-tiny'))('a symlinked checkpoint (issue 23 item 4)', () => {
  it('is listed with its architecture and generates an image', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ls-symlink-'));
    // The real file lives elsewhere (a shared drive, another disk), the models folder links to it.
    mkdirSync(join(dir, 'store'));
    mkdirSync(join(dir, 'models'));
    const real = join(dir, 'store', 'sd15-tiny.safetensors');
    copyFileSync(sharedPath('golden', 'sd15-tiny', 'sd15-tiny.f32.safetensors'), real);
    copyFileSync(sharedPath('golden', 'sd15-tiny', 'config.json'), join(dir, 'store', 'config.json'));
    const link = join(dir, 'models', 'linked.safetensors');
    symlinkSync(real, link);
    // The models folder holds only the link; the real file is outside it, which the path policy allows.
    const studio = createStudio({ settings: new SettingsStore(join(dir, 'settings.json')), paths: allowFolders(join(dir, 'models')) });
    const handlers = createHandlers(studio);

    const list = await dispatch(handlers, 'models.list', { dir: join(dir, 'models') });
    expect(list.ok).toBe(true);
    const models = (list as { result: { models: { name: string; error: unknown; architecture: { family: string } | null }[] } }).result.models;
    expect(models.map((m) => m.name)).toEqual(['linked']);
    expect(models[0].error).toBeNull();
    expect(models[0].architecture?.family).toBe('sd1');

    const env = await dispatch(handlers, 'jobs.generate', { model: link, prompt: 'a cat', steps: 1, width: 64, height: 64, seed: 3 });
    const s = await studio.queue.waitFor((env as { result: { jobId: string } }).result.jobId);
    expect(s.state, JSON.stringify(s.error)).toBe('done');
    expect(s.images).toHaveLength(1);
  });
});
