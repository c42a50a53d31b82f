import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SettingsStore } from '../../engine/studio/settings/store.ts';
import { repointStaleBundledModels } from '../../electron/bundledModels.ts';

const saved = (modelsDir: string): SettingsStore => {
  const file = join(mkdtempSync(join(tmpdir(), 'ls-settings-')), 'settings.json');
  writeFileSync(file, JSON.stringify({ modelsDir }));
  return new SettingsStore(file);
};
const now = '/tmp/.mount_Bcd456/resources/app.asar.unpacked/models';

describe('the bundled models folder saved by an earlier launch', () => {
  it('is repointed when that install is gone (an AppImage mounts at a new path each launch)', async () => {
    const settings = saved('/tmp/.mount_Abc123/resources/app.asar.unpacked/models');
    expect(await repointStaleBundledModels(settings, now)).toBe(true);
    expect((await settings.get()).modelsDir).toBe(now);
  });

  it('is left alone when the user chose the folder, or it still exists', async () => {
    const mine = saved('/home/u/my-models-that-are-on-an-unplugged-disk');
    expect(await repointStaleBundledModels(mine, now)).toBe(false);
    expect((await mine.get()).modelsDir).toBe('/home/u/my-models-that-are-on-an-unplugged-disk');

    const still = join(mkdtempSync(join(tmpdir(), 'ls-install-')), 'app.asar.unpacked', 'models');
    mkdirSync(still, { recursive: true });
    const existing = saved(still);
    expect(await repointStaleBundledModels(existing, now)).toBe(false);
    expect((await existing.get()).modelsDir).toBe(still);
  });
});
