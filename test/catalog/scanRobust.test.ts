import { chmodSync, mkdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { scanModelsDir, scanModelsFolder } from '../../engine/catalog/scan.ts';

// Root reads a chmod 000 folder anyway; the mock applies the permission check a normal
// user's readdir would, so the test means the same for both.
vi.mock('node:fs/promises', async (importOriginal) => {
  const fsp = await importOriginal<typeof import('node:fs/promises')>();
  const readdir = (async (path: string, ...rest: unknown[]) => {
    if ((statSync(path).mode & 0o444) === 0) {
      throw Object.assign(new Error(`EACCES: permission denied, scandir '${path}'`), { code: 'EACCES' });
    }
    return (fsp.readdir as (...a: unknown[]) => unknown)(path, ...rest);
  }) as typeof fsp.readdir;
  return { ...fsp, readdir, default: { ...fsp, readdir } };
});

const dir = await mkdtemp(join(tmpdir(), 'ls-scan-'));
afterAll(async () => {
  chmodSync(join(dir, 'models', 'lost+found'), 0o755);
  await rm(dir, { recursive: true, force: true });
});

describe('model list scanning', () => {
  mkdirSync(join(dir, 'models', 'sd15'), { recursive: true });
  mkdirSync(join(dir, 'models', 'lost+found'));
  mkdirSync(join(dir, 'elsewhere'));
  writeFileSync(join(dir, 'models', 'sd15', 'a.safetensors'), Buffer.alloc(16));
  writeFileSync(join(dir, 'models', 'lost+found', 'hidden.safetensors'), Buffer.alloc(16));
  writeFileSync(join(dir, 'elsewhere', 'real.safetensors'), Buffer.alloc(32));
  symlinkSync(join(dir, 'elsewhere', 'real.safetensors'), join(dir, 'models', 'linked.safetensors'));
  symlinkSync(join(dir, 'nowhere.safetensors'), join(dir, 'models', 'dangling.safetensors'));
  chmodSync(join(dir, 'models', 'lost+found'), 0o000);

  it('an unreadable subfolder is skipped with its reason, the rest is listed (issue 23 item 5)', async () => {
    const { found, skipped } = await scanModelsFolder(join(dir, 'models'));
    expect(found.map((f) => f.name)).toEqual(['linked', 'a']);
    expect(skipped).toContainEqual(expect.objectContaining({ path: join(dir, 'models', 'lost+found'), code: 'EACCES' }));
  });

  it('a symlinked checkpoint is listed with its target size; a dangling one is skipped (issue 23 item 4)', async () => {
    const { found, skipped } = await scanModelsFolder(join(dir, 'models'));
    expect(found.find((f) => f.name === 'linked')).toMatchObject({ kind: 'single-file', sizeBytes: 32 });
    expect(skipped).toContainEqual(expect.objectContaining({ path: join(dir, 'models', 'dangling.safetensors'), code: 'ENOENT' }));
  });

  it('scanModelsDir keeps its list shape and does not throw', async () => {
    expect((await scanModelsDir(join(dir, 'models'))).length).toBe(2);
  });

  it('an unreadable models folder itself is a typed error', async () => {
    await expect(scanModelsFolder(join(dir, 'models', 'lost+found'))).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
