import { basename, extname } from 'node:path';
import { StudioError } from '../api/errors.ts';
import { readFloat32, readSafetensorsHeader } from '../safetensors/index.ts';
import { embeddingHash } from './hashes.ts';
import { listEmbeddingFiles } from './library.ts';

/** One textual-inversion embedding: `count` vectors of `width` that stand for its name in a prompt. */
export interface Embedding {
  /** The file stem: the word that triggers it. */
  readonly name: string;
  readonly path: string;
  readonly vectors: Float32Array;
  readonly count: number;
  readonly width: number;
}

/**
 * Reads a `.safetensors` embedding: kohya's `emb_params` [n, width], SDXL's `clip_l` (CLIP-L,
 * the SD 1.x encoder) / `clip_g`, or a file holding one tensor under any name. The tensor
 * whose width matches `width` is taken; undefined when none does (A1111 skips those too).
 */
export async function readEmbedding(path: string, width: number): Promise<Embedding | undefined> {
  if (extname(path).toLowerCase() !== '.safetensors') {
    throw new StudioError('CHECKPOINT_UNSUPPORTED', `${basename(path)}: only .safetensors embeddings can be read (pickled .pt/.bin files are not loaded)`, { file: path });
  }
  const header = await readSafetensorsHeader(path);
  const all = [...header.tensors.values()];
  const preferred = ['emb_params', 'clip_l', 'clip_g', 'string_to_param.*'].map((n) => header.tensors.get(n)).filter((t) => t !== undefined);
  const candidates = preferred.length ? preferred : all.length === 1 ? all : [];
  const info = candidates.find((t) => t.shape[t.shape.length - 1] === width && t.shape.length <= 2);
  if (!info) return undefined;
  const vectors = await readFloat32(info);
  const count = info.shape.length === 2 ? info.shape[0] : 1;
  return { name: basename(path, extname(path)), path, vectors, count, width };
}

const cache = new Map<string, Promise<Embedding | undefined>>();

/** Every embedding in the folder that fits a text encoder of this width (read once per process). */
export async function loadEmbeddings(modelsDirOrFolder: { modelsDir?: string; folder?: string }, width: number): Promise<Embedding[]> {
  const files = modelsDirOrFolder.folder
    ? await listEmbeddingFiles(modelsDirOrFolder.folder, true)
    : modelsDirOrFolder.modelsDir ? await listEmbeddingFiles(modelsDirOrFolder.modelsDir) : [];
  const out: Embedding[] = [];
  for (const f of files) {
    const key = `${f}|${width}`;
    if (!cache.has(key)) cache.set(key, readEmbedding(f, width).catch(() => undefined));
    const e = await cache.get(key)!;
    if (e) out.push(e);
  }
  return out;
}

/** The embeddings a prompt names (as a word, case-insensitively as the tokenizer lowercases). */
export function embeddingsIn(prompts: readonly string[], embeddings: readonly Embedding[]): Embedding[] {
  return embeddings.filter((e) => {
    const re = new RegExp(`(^|[^\\w-])${e.name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}($|[^\\w-])`, 'i');
    return prompts.some((p) => re.test(p));
  });
}

/** `TI hashes` pairs of the embeddings used. */
export async function embeddingHashes(used: readonly Embedding[]): Promise<Array<{ name: string; hash: string }>> {
  return Promise.all(used.map(async (e) => ({ name: e.name, hash: await embeddingHash(e.path) })));
}
