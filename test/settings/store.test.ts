import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SettingsStore } from '../../engine/studio/settings/store.ts';

describe('SettingsStore', () => {
  it('persists changes and reloads them', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'ls-set-')), 'settings.json');
    await new SettingsStore(file).set({ threads: 3, modelsDir: '/models' });
    const again = await new SettingsStore(file).get();
    expect(again.threads).toBe(3);
    expect(again.modelsDir).toBe('/models');
  });

  it('refuses invalid values and keeps the saved file', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'ls-set-')), 'settings.json');
    const store = new SettingsStore(file);
    await store.set({ threads: 2 });
    await expect(store.set({ threads: -1 })).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    expect(JSON.parse(readFileSync(file, 'utf8')).threads).toBe(2);
  });

  it('falls back to defaults when the file is damaged', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'ls-set-')), 'settings.json');
    writeFileSync(file, '{not json');
    expect((await new SettingsStore(file).get()).executionProvider).toBe('auto');
  });

  it('override changes this launch only', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'ls-set-')), 'settings.json');
    const store = new SettingsStore(file);
    await store.set({ threads: 1 });
    await store.override({ modelsDir: '/elsewhere' });
    expect((await store.get()).modelsDir).toBe('/elsewhere');
    expect(JSON.parse(readFileSync(file, 'utf8')).modelsDir).not.toBe('/elsewhere');
  });
});
