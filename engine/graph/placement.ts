import { accessSync, constants, existsSync, linkSync, mkdirSync, readFileSync, realpathSync, statSync, unlinkSync } from 'node:fs';
import { basename, delimiter, dirname, join, resolve, sep } from 'node:path';
import { StudioError, toStudioError } from '../api/errors.ts';
import { studioHome } from '../paths.ts';
import { removeStaleTempsOnceSync, writeBytesAtomicallySync } from '../safetensors/atomicWrite.ts';
import type { TensorInfo } from '../safetensors/types.ts';
import { convertBf16ToFile, convertBf16InMemory } from './bf16.ts';
import type { EncodeOptions, ExternalRef, ExternalWeight, GraphBuilder } from './builder.ts';
import { emitGraphEvent } from './events.ts';
import { fileIdentity, sha256 } from './identity.ts';
import { packWeights } from './pack.ts';

/**
 * Where a graph file goes (DESIGN D1):
 * - `beside`: a hidden hash-named `.onnx` next to the checkpoint, `location` = its basename;
 * - `cache`: the cache folder, holding a hard link to the checkpoint (no copy, same filesystem);
 * - `memory`: the model and the weights it uses as in-memory bytes (last resort: copies weights).
 * `auto` tries them in that order.
 */
export type PlacementMode = 'auto' | 'beside' | 'cache' | 'memory';

export interface PlacementOptions {
  mode?: PlacementMode;
  /** Folder for graphs, hard links and converted weights; default `<studioHome>/cache/graphs`. */
  cacheDir?: string;
  /** Folders never written to, whatever their permissions say (also LATENT_STUDIO_READONLY_DIRS). */
  readOnlyDirs?: readonly string[];
}

export interface MaterializedGraph {
  mode: 'beside' | 'cache' | 'memory';
  /** The .onnx file to load (beside / cache). */
  modelPath?: string;
  /** The serialised model (memory). */
  modelBytes?: Uint8Array;
  /** In-memory external data for `SessionOptions.externalData` (memory). */
  externalData?: { path: string; data: Uint8Array }[];
  /** sha256 of the serialised model. */
  hash: string;
}

export function defaultGraphCacheDir(): string {
  return process.env.LATENT_STUDIO_GRAPH_CACHE ?? join(studioHome(), 'cache', 'graphs');
}

export async function materializeGraph(g: GraphBuilder, opts: PlacementOptions = {}, encoding: EncodeOptions = {}): Promise<MaterializedGraph> {
  const mode = opts.mode ?? 'auto';
  const cacheDir = resolve(opts.cacheDir ?? defaultGraphCacheDir());
  const weights = g.externalWeights();
  const hasBf16 = weights.some((w) => w.info.dtype === 'BF16');
  const dirs = new Set(weights.map((w) => dirname(realFile(w.info.file))));

  if (mode === 'beside' || mode === 'auto') {
    const dir = dirs.size === 1 ? [...dirs][0] : undefined;
    const why = hasBf16 ? 'BF16 weights are converted into the cache folder'
      : !dir ? 'weights span several folders'
        : !isWritableDir(dir, opts.readOnlyDirs) ? `${dir} is read-only` : undefined;
    if (!why) {
      try {
        return writeBeside(g, dir!, encoding);
      } catch (e) {
        if (mode === 'beside') throw toStudioError(e);
      }
    } else if (mode === 'beside') {
      throw new StudioError('RUNTIME_FAILURE', `Cannot write graph ${g.name} beside its checkpoint: ${why}`);
    }
  }
  if (mode === 'memory') return inMemory(g, 'requested', encoding);
  try {
    return await writeInCache(g, cacheDir, encoding);
  } catch (e) {
    return inMemory(g, `cache folder ${cacheDir} unusable: ${(e as Error).message}`, encoding);
  }
}

function writeBeside(g: GraphBuilder, dir: string, encoding: EncodeOptions): MaterializedGraph {
  removeStaleTempsOnceSync(dir);
  const place = (w: ExternalWeight): ExternalRef => ({ location: basename(realFile(w.info.file)), offset: w.info.offset, length: w.info.byteLength });
  const bytes = g.encode(place, encoding);
  const hash = sha256(bytes);
  const firstWeight = g.externalWeights()[0];
  const first = basename(firstWeight ? realFile(firstWeight.info.file) : g.name);
  const modelPath = join(dir, `.${first}.${g.name}.${hash.slice(0, 16)}.onnx`);
  writeOnce(modelPath, bytes, hash);
  emitGraphEvent({ kind: 'graph-placement', graph: g.name, mode: 'beside', path: modelPath });
  return { mode: 'beside', modelPath, hash };
}

async function writeInCache(g: GraphBuilder, cacheDir: string, encoding: EncodeOptions): Promise<MaterializedGraph> {
  mkdirSync(cacheDir, { recursive: true });
  removeStaleTempsOnceSync(cacheDir);
  const weights = g.externalWeights();
  const links = new Map<string, string>();
  for (const w of weights) {
    if (w.info.dtype === 'BF16' || links.has(w.info.file)) continue;
    links.set(w.info.file, hardLink(w.info.file, cacheDir));
  }
  const converted = await convertBf16ToFile(weights.filter((w) => w.info.dtype === 'BF16').map((w) => w.info), cacheDir);
  const place = (w: ExternalWeight): ExternalRef => {
    const info: TensorInfo = converted.get(w.info.name) ?? w.info;
    const location = converted.has(w.info.name) ? basename(info.file) : links.get(info.file)!;
    return { location, offset: info.offset, length: info.byteLength };
  };
  const bytes = g.encode(place, encoding);
  const hash = sha256(bytes);
  const modelPath = join(cacheDir, `${g.name}.${hash.slice(0, 16)}.onnx`);
  writeOnce(modelPath, bytes, hash);
  emitGraphEvent({ kind: 'graph-placement', graph: g.name, mode: 'cache', path: modelPath });
  return { mode: 'cache', modelPath, hash };
}

async function inMemory(g: GraphBuilder, reason: string, encoding: EncodeOptions): Promise<MaterializedGraph> {
  const weights = g.externalWeights();
  if (weights.length === 0) {
    const bytes = g.encode(() => { throw new Error('unreachable: no external weights'); }, encoding);
    return { mode: 'memory', modelBytes: bytes, hash: sha256(bytes) };
  }
  const converted = await convertBf16InMemory(weights.filter((w) => w.info.dtype === 'BF16').map((w) => w.info));
  const location = `${g.name}.weights`;
  const { data, refs } = await packWeights(weights.map((w) => w.info), converted);
  const bytes = g.encode((w) => ({ location, ...refs.get(w.info.name)! }), encoding);
  if (reason !== 'requested') emitGraphEvent({ kind: 'graph-placement', graph: g.name, mode: 'memory', path: location, reason });
  return { mode: 'memory', modelBytes: bytes, externalData: [{ path: location, data }], hash: sha256(bytes) };
}

/**
 * The checkpoint a (possibly symlinked) path stands for. onnxruntime refuses external data
 * that resolves outside the graph's folder, and link() would link the symlink itself, so
 * placement works on the real file.
 */
function realFile(file: string): string {
  try {
    return realpathSync(file);
  } catch {
    return resolve(file);
  }
}

/** A hard link to `file` inside `dir`, named by the file's identity so a changed checkpoint gets a new link. */
function hardLink(linkedPath: string, dir: string): string {
  const file = realFile(linkedPath);
  const name = `${fileIdentity(file)}-${basename(file)}`;
  const target = join(dir, name);
  const src = statSync(file);
  if (existsSync(target)) {
    const st = statSync(target);
    if (st.ino === src.ino && st.dev === src.dev) return name;
    unlinkSync(target);
  }
  linkSync(file, target);
  return name;
}

/**
 * Content-addressed files are reused only when their bytes still hash to the graph's sha256:
 * a same-size edited file (tampering, a bad disk) is rewritten rather than executed.
 * New files appear atomically.
 */
function writeOnce(path: string, bytes: Uint8Array, hash: string): void {
  if (existsSync(path) && statSync(path).size === bytes.byteLength && sha256(readFileSync(path)) === hash) return;
  writeBytesAtomicallySync(path, bytes);
}

export function isWritableDir(dir: string, readOnlyDirs: readonly string[] = []): boolean {
  const env = (process.env.LATENT_STUDIO_READONLY_DIRS ?? '').split(delimiter).filter(Boolean);
  const abs = resolve(dir);
  // Both sides as real paths: `dir` comes from the checkpoint's real file, and an install may sit behind a link.
  const realOf = (d: string) => { try { return realpathSync(resolve(d)); } catch { return resolve(d); } };
  for (const ro of [...readOnlyDirs, ...env].flatMap((d) => [resolve(d), realOf(d)])) {
    if (abs === ro || abs.startsWith(ro + sep)) return false;
  }
  try {
    accessSync(abs, constants.W_OK);
    // root passes access() on any folder; a folder whose mode grants nobody write access is
    // still meant to be read-only (shared reference data, mounted libraries), so respect it.
    if (process.getuid?.() === 0 && (statSync(abs).mode & 0o222) === 0) return false;
    return true;
  } catch {
    return false;
  }
}
