import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { SettingsStore } from '../../engine/studio/settings/store.ts';

// Root reads a chmod 000 file anyway; the mock applies the check a normal user's read would.
vi.mock('node:fs/promises', async (importOriginal) => {
  const fsp = await importOriginal<typeof import('node:fs/promises')>();
  const readFile = (async (path: string, ...rest: unknown[]) => {
    if (typeof path === 'string' && existsSync(path) && (statSync(path).mode & 0o444) === 0) {
      throw Object.assign(new Error(`EACCES: permission denied, open '${path}'`), { code: 'EACCES' });
    }
    return (fsp.readFile as (...a: unknown[]) => unknown)(path, ...rest);
  }) as typeof fsp.readFile;
  return { ...fsp, readFile, default: { ...fsp, readFile } };
});
process.removeAllListeners('warning');

const fresh = () => join(mkdtempSync(join(tmpdir(), 'ls-set-')), 'settings.json');
const backups = (file: string) => readdirSync(join(file, '..')).filter((n) => n.endsWith('.bak')).map((n) => join(file, '..', n));

describe('settings under parallel writes and damaged files (issue 23 item 2)', () => {
  it('30 rounds of 3 parallel set() calls: every change lands, the file parses, memory and disk agree', async () => {
    const file = fresh();
    const store = new SettingsStore(file);
    for (let round = 0; round < 30; round++) {
      const results = await Promise.allSettled([
        store.set({ threads: round }),
        store.set({ previewEvery: round + 1 }),
        store.set({ modelsDir: `/models/${round}` }),
      ]);
      expect(results.every((r) => r.status === 'fulfilled')).toBe(true);
      const disk = JSON.parse(readFileSync(file, 'utf8'));
      expect(disk).toMatchObject({ threads: round, previewEvery: round + 1, modelsDir: `/models/${round}` });
      expect(await store.get()).toEqual(disk);
    }
    expect(readdirSync(join(file, '..')).filter((n) => n.includes('.tmp-'))).toEqual([]);
  });

  it('parallel stores on one file (two windows) never leave unparseable JSON', async () => {
    const file = fresh();
    const stores = [new SettingsStore(file), new SettingsStore(file), new SettingsStore(file)];
    for (let round = 0; round < 20; round++) {
      await Promise.all(stores.map((s, i) => s.set({ threads: round * 3 + i })));
      expect([round * 3, round * 3 + 1, round * 3 + 2]).toContain(JSON.parse(readFileSync(file, 'utf8')).threads);
    }
  });

  it('one invalid field keeps the valid ones, is reported, and the original is backed up on the first save', async () => {
    const file = fresh();
    const original = JSON.stringify({ modelsDir: '/my/models', outputDir: '/my/out', threads: -5, previewEvery: 3, futureOption: true });
    writeFileSync(file, original);
    const store = new SettingsStore(file);
    const s = await store.get();
    expect(s).toMatchObject({ modelsDir: '/my/models', outputDir: '/my/out', previewEvery: 3, threads: 0 });
    const problems = await store.problems();
    expect(problems.map((p) => [p.kind, p.field])).toEqual([['settings-field-invalid', 'threads'], ['settings-field-unknown', 'futureOption']]);
    await store.set({ threads: 2 });
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ modelsDir: '/my/models', threads: 2 });
    const [backup] = backups(file);
    expect(readFileSync(backup, 'utf8')).toBe(original);
    expect((await store.problems())[0].backup).toBe(backup);
    await store.set({ threads: 3 });
    expect(backups(file)).toHaveLength(1); // backed up once, not on every save
  });

  it('an unparseable file is reported and kept as a backup, not silently overwritten with defaults', async () => {
    const file = fresh();
    writeFileSync(file, '{"modelsDir": "/my/models", "thr');
    const store = new SettingsStore(file);
    expect((await store.problems())[0].kind).toBe('settings-unparseable');
    await store.set({ threads: 1 });
    expect(readFileSync(backups(file)[0], 'utf8')).toBe('{"modelsDir": "/my/models", "thr');
  });

  it('an unreadable file is reported and kept (hard-linked) before a save replaces it', async () => {
    const file = fresh();
    writeFileSync(file, JSON.stringify({ modelsDir: '/secret/models' }));
    chmodSync(file, 0o000);
    const store = new SettingsStore(file);
    expect((await store.problems()).map((p) => p.kind)).toEqual(['settings-unreadable']);
    await store.set({ threads: 4 });
    const [backup] = backups(file);
    chmodSync(backup, 0o644);
    expect(JSON.parse(readFileSync(backup, 'utf8')).modelsDir).toBe('/secret/models');
  });

  it('a settings path that cannot be backed up (a folder) refuses the save with a typed error', async () => {
    const file = fresh();
    mkdirSync(file);
    const store = new SettingsStore(file);
    expect((await store.problems())[0].kind).toBe('settings-unreadable');
    await expect(store.set({ threads: 1 })).rejects.toMatchObject({ code: 'RUNTIME_FAILURE' });
    expect(statSync(file).isDirectory()).toBe(true);
  });

  it('an override is never written by a later save of another field', async () => {
    const file = fresh();
    const store = new SettingsStore(file);
    await store.override({ modelsDir: '/this/launch' });
    await store.set({ threads: 2 });
    expect(JSON.parse(readFileSync(file, 'utf8')).modelsDir).not.toBe('/this/launch');
    expect((await store.get()).modelsDir).toBe('/this/launch');
  });

  it('temporary files of a crashed writer are removed at start; a live writer’s are left alone', async () => {
    const file = fresh();
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    const stale = join(file, '..', `.settings.json.tmp-${dead}-${randomUUID()}`);
    const live = join(file, '..', `.settings.json.tmp-${process.pid}-${randomUUID()}`);
    writeFileSync(stale, '{');
    writeFileSync(live, '{');
    await new SettingsStore(file).get();
    expect(existsSync(stale)).toBe(false);
    expect(existsSync(live)).toBe(true);
  });
});
