import { randomUUID } from 'node:crypto';
import { closeSync, constants, copyFileSync, fsyncSync, linkSync, openSync, readdirSync, renameSync, rmSync, writeSync } from 'node:fs';
import { type FileHandle, copyFile, link, open, readdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { StudioError, toStudioError } from '../api/errors.ts';

/**
 * The one way the engine replaces a file: write a temporary file with a name unique to this
 * write, fsync it, rename it over the target, fsync the folder. A reader (or the next launch
 * after a `kill -9` or power cut) sees the old file or the new one, never a mix; parallel
 * writers never share a temporary file.
 */

/** `.<target>.tmp-<pid>-<uuid>`: hidden, and carries the writer's pid so leftovers can be told from live writes. */
const TEMP_PATTERNS = [
  /^\.(.+)\.tmp-(\d+)-[0-9a-f-]{36}$/,
  // Names earlier versions used (safetensors and graphs, exports, settings), cleaned the same way.
  /^(.+)\.tmp-(\d+)-\d{13}$/,
  /^(.+\.(?:png|jpe?g|webp))\.partial-(\d+)$/,
  /^(settings\.json)\.(\d+)\.tmp$/,
];

/** The pid of the writer that left `name`, when it is one of our temporary files. */
function tempWriterPid(name: string): number | undefined {
  for (const p of TEMP_PATTERNS) {
    const m = p.exec(name);
    if (m) return Number(m[2]);
  }
  return undefined;
}

/**
 * Filesystems without hard links (FAT and exFAT drives, some network shares): an exclusive
 * write falls back to an exclusive copy, still refusing an existing file, though a crash
 * mid-copy can leave a partial new file there.
 */
const NO_HARD_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EMLINK']);

export function tempNameFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.tmp-${process.pid}-${randomUUID()}`);
}

export interface AtomicWriteOptions {
  /** Fail with a typed error instead of replacing an existing file (exactly one of racing writers wins). */
  exclusive?: boolean;
}

export async function writeAtomically(
  path: string,
  fill: (fh: FileHandle) => Promise<void>,
  options: AtomicWriteOptions = {},
): Promise<void> {
  await removeStaleTempsOnce(dirname(path));
  const tmp = tempNameFor(path);
  try {
    const fh = await open(tmp, 'wx');
    try {
      await fill(fh);
      await fh.sync();
    } finally {
      await fh.close();
    }
    // link() refuses an existing target atomically, where a check-then-rename would race.
    if (options.exclusive) {
      await link(tmp, path).catch((e: unknown) => {
        if (!NO_HARD_LINKS.has((e as NodeJS.ErrnoException).code ?? '')) throw e;
        return copyFile(tmp, path, constants.COPYFILE_EXCL);
      }).finally(() => rm(tmp, { force: true }));
    } else {
      await rename(tmp, path);
    }
    await syncDir(dirname(path));
  } catch (e) {
    await rm(tmp, { force: true });
    throw atomicWriteError(e, path);
  }
}

export function writeBytesAtomically(path: string, bytes: Uint8Array | string, options: AtomicWriteOptions = {}): Promise<void> {
  return writeAtomically(path, async (fh) => { await fh.writeFile(bytes); }, options);
}

/** Synchronous twin for code paths that are synchronous (graph placement). */
export function writeBytesAtomicallySync(path: string, bytes: Uint8Array, options: AtomicWriteOptions = {}): void {
  removeStaleTempsOnceSync(dirname(path));
  const tmp = tempNameFor(path);
  try {
    const fd = openSync(tmp, 'wx');
    try {
      for (let done = 0; done < bytes.byteLength;) done += writeSync(fd, bytes, done);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    if (options.exclusive) {
      try {
        linkSync(tmp, path);
      } catch (e) {
        if (!NO_HARD_LINKS.has((e as NodeJS.ErrnoException).code ?? '')) throw e;
        copyFileSync(tmp, path, constants.COPYFILE_EXCL);
      } finally {
        rmSync(tmp, { force: true });
      }
    } else {
      renameSync(tmp, path);
    }
    syncDirSync(dirname(path));
  } catch (e) {
    rmSync(tmp, { force: true });
    throw atomicWriteError(e, path);
  }
}

function atomicWriteError(e: unknown, path: string): StudioError {
  if ((e as NodeJS.ErrnoException).code === 'EEXIST') return new StudioError('INVALID_REQUEST', `${path} exists; pass overwrite to replace it`);
  return toStudioError(e);
}

/** A rename is durable only once the folder entry is; some filesystems refuse to open a folder, which is harmless. */
async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r').catch(() => null);
  if (!fh) return;
  await fh.sync().catch(() => undefined);
  await fh.close();
}

function syncDirSync(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // as in syncDir
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function processAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: the pid exists but belongs to someone else, so the file may be a live write.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes temporary files a crashed writer left in `dir` (its pid is gone). Returns the names
 * removed. A folder that cannot be read is left alone: cleaning is never worth failing a start.
 */
export async function removeStaleTemps(dir: string): Promise<string[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const removed: string[] = [];
  for (const name of names) {
    const pid = tempWriterPid(name);
    if (pid === undefined || processAlive(pid)) continue;
    await rm(join(dir, name), { force: true }).then(() => removed.push(name), () => undefined);
  }
  return removed;
}

export function removeStaleTempsSync(dir: string): string[] {
  let names: string[];
  try { names = readdirSync(dir); } catch { return []; }
  const removed: string[] = [];
  for (const name of names) {
    const pid = tempWriterPid(name);
    if (pid === undefined || processAlive(pid)) continue;
    try { rmSync(join(dir, name), { force: true }); removed.push(name); } catch { /* as above */ }
  }
  return removed;
}

const cleaned = new Set<string>();

/** removeStaleTemps once per folder per launch: the first write there pays one readdir. */
export async function removeStaleTempsOnce(dir: string): Promise<void> {
  if (cleaned.has(dir)) return;
  cleaned.add(dir);
  await removeStaleTemps(dir);
}

export function removeStaleTempsOnceSync(dir: string): void {
  if (cleaned.has(dir)) return;
  cleaned.add(dir);
  removeStaleTempsSync(dir);
}
