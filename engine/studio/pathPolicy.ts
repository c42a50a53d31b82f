import { constants, type Stats } from 'node:fs';
import { lstat, open, realpath, stat } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { StudioError } from '../api/errors.ts';
import type { ImageInput, Settings } from '../api/schemas.ts';
import { BUNDLED_MODELS_DIR } from '../paths.ts';

/**
 * Which files the Studio API may touch. A caller with the token is not trusted with the
 * whole disk: checkpoints and their configs must sit in a models folder, images read by
 * path in a models folder, the output folder or among the files the user picked, and
 * exports go to the output folder. Anything that is not a regular file (a FIFO would
 * freeze file I/O, /dev/zero grow memory without end) is refused before it is read, and
 * refusals name only the path, never a byte of the file.
 */
export interface PathRoots {
  models: readonly string[];
  output: string;
}

type Area = 'models' | 'output' | 'picked';

const AREA_WORDS: Record<Area, string> = { models: 'a models folder', output: 'the output folder', picked: 'the files you picked' };

function refused(path: string, why: string, reason: string): StudioError {
  return new StudioError('PATH_REFUSED', `${path}: ${why}`, { path, reason });
}

function inside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

async function real(path: string): Promise<string | null> {
  return realpath(path).catch(() => null);
}

/** The nearest existing ancestor's real path joined with the rest, so a link in the middle cannot carry a write elsewhere. */
async function realTarget(path: string): Promise<string> {
  const rest: string[] = [];
  let at = path;
  for (;;) {
    const r = await real(at);
    if (r) return resolve(r, ...rest.reverse());
    const up = dirname(at);
    if (up === at) return path;
    rest.push(relative(up, at));
    at = up;
  }
}

function kindOf(info: Stats): string {
  if (info.isDirectory()) return 'a folder';
  if (info.isFIFO()) return 'a FIFO';
  if (info.isCharacterDevice() || info.isBlockDevice()) return 'a device';
  if (info.isSocket()) return 'a socket';
  return 'not a regular file';
}

export class PathPolicy {
  private readonly picked = new Set<string>();

  /** `confined: false` keeps the file-kind checks but lets any location through. */
  constructor(private readonly roots: () => Promise<PathRoots>, private readonly confined = true) {}

  /** For the command line, where every path was typed by the user who runs the process. */
  static commandLine(): PathPolicy {
    return new PathPolicy(async () => ({ models: [], output: '/' }), false);
  }

  /** The models folder and output folder of the current settings, plus the bundled models. */
  static fromSettings(settings: { get(): Promise<Settings> }): PathPolicy {
    return new PathPolicy(async () => {
      const s = await settings.get();
      return { models: [s.modelsDir, BUNDLED_MODELS_DIR], output: s.outputDir };
    });
  }

  /** A file the user chose in a dialog or uploaded: readable wherever it is. */
  allowPicked(path: string): void {
    this.picked.add(resolve(path));
  }

  /** A checkpoint file or diffusers folder in a models folder. */
  model(path: string): Promise<string> {
    return this.check(path, ['models'], 'file-or-folder');
  }

  /** A file that goes with a model (config, adapter, image encoder file) in a models folder. */
  modelFile(path: string): Promise<string> {
    return this.check(path, ['models'], 'file');
  }

  /** A folder listed as models: a models folder itself or one inside it. */
  modelsFolder(path: string): Promise<string> {
    return this.check(path, ['models'], 'folder');
  }

  /** An image read by path. */
  image(path: string): Promise<string> {
    return this.check(path, ['models', 'output', 'picked'], 'file');
  }

  /** Every path-form image in a request, wherever it nests (image, mask, content, style, image prompts). */
  async images(inputs: ReadonlyArray<ImageInput | undefined>): Promise<void> {
    for (const input of inputs) if (input && 'path' in input) await this.image(input.path);
  }

  /**
   * Where an export may be written: inside the output folder, through no link that leads out of
   * it, and — when something is already there — only over a regular file, and only with `overwrite`.
   */
  async exportTarget(path: string, overwrite: boolean): Promise<string> {
    const { output } = await this.roots();
    const target = resolve(path);
    const root = resolve(output);
    const realRoot = (await real(root)) ?? root;
    if (this.confined && (!inside(root, target) || !inside(realRoot, await realTarget(target)))) {
      throw refused(path, `exports are written inside the output folder (${output}); choose a name there or change the output folder in Settings`, 'outside');
    }
    const existing = await lstat(target).catch(() => null);
    if (existing && !existing.isFile()) throw refused(path, `is ${existing.isSymbolicLink() ? 'a link' : kindOf(existing)}; exports only replace regular files`, 'not-regular');
    if (existing && !overwrite) throw new StudioError('INVALID_REQUEST', `${path} exists; pass overwrite to replace it`);
    return target;
  }

  private async check(path: string, areas: readonly Area[], want: 'file' | 'folder' | 'file-or-folder'): Promise<string> {
    const target = resolve(path);
    if (this.confined && !(await this.allowed(target, areas))) {
      throw refused(path, `is outside ${areas.map((a) => AREA_WORDS[a]).join(', ')}; the studio reads files only from there`, 'outside');
    }
    const info = await stat(target).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT' || e.code === 'ENOTDIR') throw new StudioError('NOT_FOUND', `${path} does not exist`, { path });
      throw refused(path, `cannot be read (${e.code ?? 'error'})`, 'unreadable');
    });
    const ok = (info.isFile() && want !== 'folder') || (info.isDirectory() && want !== 'file');
    if (!ok) throw refused(path, `is ${info.isFile() ? 'a file' : kindOf(info)}, not ${want === 'folder' ? 'a folder' : want === 'file' ? 'a regular file' : 'a model file or folder'}`, 'not-regular');
    return target;
  }

  private async allowed(target: string, areas: readonly Area[]): Promise<boolean> {
    if (areas.includes('picked') && this.picked.has(target)) return true;
    const { models, output } = await this.roots();
    const roots = [...(areas.includes('models') ? models : []), ...(areas.includes('output') ? [output] : [])].map((r) => resolve(r));
    // The path as written, or its real location: a link the user put in a models folder stays usable.
    const realTarget = await real(target);
    for (const root of roots) {
      if (inside(root, target)) return true;
      const realRoot = await real(root);
      if (realTarget && realRoot && inside(realRoot, realTarget)) return true;
    }
    return false;
  }
}

/**
 * The bytes of a regular file, at most `maxBytes`. Opened without blocking and checked on the
 * open handle, so a FIFO or device swapped in after a check is still refused, never waited on.
 */
export async function readRegularFile(path: string, maxBytes: number): Promise<Buffer> {
  let fh;
  try {
    fh = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new StudioError('NOT_FOUND', `${path} does not exist`, { path });
    throw refused(path, `cannot be opened (${code ?? 'error'})`, 'unreadable');
  }
  try {
    const info = await fh.stat();
    if (!info.isFile()) throw refused(path, `is ${kindOf(info)}, not a regular file`, 'not-regular');
    if (info.size > maxBytes) throw refused(path, `is ${info.size} bytes; the largest accepted is ${maxBytes}`, 'too-large');
    // Exactly the size seen on the handle: a file growing meanwhile cannot push past the limit.
    const bytes = Buffer.alloc(info.size);
    let done = 0;
    while (done < bytes.length) {
      const { bytesRead } = await fh.read(bytes, done, bytes.length - done, done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    return bytes.subarray(0, done);
  } finally {
    await fh.close();
  }
}
