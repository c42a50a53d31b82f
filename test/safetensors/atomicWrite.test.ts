import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { removeStaleTemps, writeAtomically, writeBytesAtomically, writeBytesAtomicallySync } from '../../engine/safetensors/atomicWrite.ts';

// Records the order of durable steps: the data must be fsynced before the rename publishes it.
const log: string[] = [];
const fsState = { noHardLinks: false };
vi.mock('node:fs/promises', async (importOriginal) => {
  const fsp = await importOriginal<typeof import('node:fs/promises')>();
  const open = (async (...a: Parameters<typeof fsp.open>) => {
    const fh = await fsp.open(...a);
    const sync = fh.sync.bind(fh);
    fh.sync = async () => { log.push(`sync ${String(a[0]).split('/').pop()}`); return sync(); };
    return fh;
  }) as typeof fsp.open;
  const rename = (async (from: string, to: string) => { log.push(`rename ${to.split('/').pop()}`); return fsp.rename(from, to); }) as typeof fsp.rename;
  const link = (async (from: string, to: string) => {
    if (fsState.noHardLinks) throw Object.assign(new Error('EPERM: operation not permitted, link'), { code: 'EPERM' });
    return fsp.link(from, to);
  }) as typeof fsp.link;
  return { ...fsp, open, rename, link, default: { ...fsp, open, rename, link } };
});

const fresh = () => mkdtempSync(join(tmpdir(), 'ls-atomic-'));

describe('the one atomic write', () => {
  it('fsyncs the data, then renames, then fsyncs the folder', async () => {
    const dir = fresh();
    log.length = 0;
    await writeBytesAtomically(join(dir, 'a.json'), '{"v":1}');
    expect(log[0]).toMatch(/^sync \.a\.json\.tmp-\d+-[0-9a-f-]{36}$/);
    expect(log.slice(1)).toEqual(['rename a.json', `sync ${dir.split('/').pop()}`]);
    expect(readFileSync(join(dir, 'a.json'), 'utf8')).toBe('{"v":1}');
  });

  it('a failing write leaves the old file and no temporary file', async () => {
    const dir = fresh();
    const file = join(dir, 'a.bin');
    writeFileSync(file, 'old');
    await expect(writeAtomically(file, async (fh) => { await fh.write('half'); throw Object.assign(new Error('no space'), { code: 'ENOSPC' }); }))
      .rejects.toMatchObject({ code: 'DISK_FULL' });
    expect(readFileSync(file, 'utf8')).toBe('old');
    expect(readdirSync(dir)).toEqual(['a.bin']);
  });

  it('exclusive: of 10 racing writers exactly one creates the file, the others get a typed error', async () => {
    const dir = fresh();
    const file = join(dir, 'x.png');
    const r = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => writeBytesAtomically(file, `writer ${i}`, { exclusive: true })));
    const won = r.flatMap((x, i) => (x.status === 'fulfilled' ? [i] : []));
    expect(won).toHaveLength(1);
    expect(readFileSync(file, 'utf8')).toBe(`writer ${won[0]}`);
    for (const x of r) if (x.status === 'rejected') expect(x.reason).toMatchObject({ code: 'INVALID_REQUEST' });
    expect(() => writeBytesAtomicallySync(file, Buffer.from('late'), { exclusive: true })).toThrow(/exists/);
    expect(readdirSync(dir)).toEqual(['x.png']);
  });

  it('exclusive on a filesystem without hard links (exFAT): falls back to an exclusive copy', async () => {
    const dir = fresh();
    const file = join(dir, 'y.png');
    fsState.noHardLinks = true;
    try {
      await writeBytesAtomically(file, 'first', { exclusive: true });
      await expect(writeBytesAtomically(file, 'second', { exclusive: true })).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    } finally {
      fsState.noHardLinks = false;
    }
    expect(readFileSync(file, 'utf8')).toBe('first');
    expect(readdirSync(dir)).toEqual(['y.png']);
  });

  it('removes temporary files of dead writers (current and earlier names), keeps live ones and user files', async () => {
    const dir = fresh();
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    const stale = [`.a.json.tmp-${dead}-${randomUUID()}`, `w.safetensors.tmp-${dead}-1764800000000`, `out.png.partial-${dead}`, `settings.json.${dead}.tmp`];
    const kept = [`.a.json.tmp-${process.pid}-${randomUUID()}`, 'notes.partial-12', 'my.123.tmp', 'a.json'];
    for (const n of [...stale, ...kept]) writeFileSync(join(dir, n), 'x');
    expect((await removeStaleTemps(dir)).sort()).toEqual([...stale].sort());
    for (const n of kept) expect(existsSync(join(dir, n))).toBe(true);
  });
});
