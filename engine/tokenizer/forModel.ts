import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { BUNDLED_ASSETS_DIR } from '../paths.ts';
import { CLIPTokenizer } from './clip-tokenizer.ts';

/** The CLIP BPE files every SD 1.x/2.x text encoder uses; single-file checkpoints lack them. */
export const BUNDLED_CLIP_TOKENIZER = join(BUNDLED_ASSETS_DIR, 'clip-tokenizer');

export interface TokenizerSource {
  /** 'sd1' pads with the end token, 'sd2' (OpenCLIP) with 0. */
  family: 'sd1' | 'sd2';
  /** A diffusers `tokenizer/` folder, when the checkpoint has one. */
  tokenizerDir?: string;
  /** The checkpoint file or folder; vocab.json + merges.txt beside a single file take precedence. */
  checkpoint?: string;
}

const cache = new Map<string, Promise<CLIPTokenizer>>();

/**
 * The tokenizer of a model: its own diffusers folder, else vocab.json + merges.txt next to
 * the checkpoint (models trained with their own vocabulary ship them so), else the bundled
 * CLIP files. Padding follows the family unless the folder's config says otherwise.
 */
export function tokenizerFor(source: TokenizerSource): Promise<CLIPTokenizer> {
  const padToken = source.family === 'sd2' ? 0 : 'eos';
  let dir = BUNDLED_CLIP_TOKENIZER;
  if (source.tokenizerDir) dir = source.tokenizerDir;
  else if (source.checkpoint) {
    const beside = dirname(source.checkpoint);
    if (existsSync(join(beside, 'vocab.json')) && existsSync(join(beside, 'merges.txt'))) dir = beside;
  }
  const key = `${dir}|${padToken}|${source.tokenizerDir ? 'folder' : 'files'}`;
  let t = cache.get(key);
  if (!t) {
    t = source.tokenizerDir
      ? CLIPTokenizer.fromDirectory(dir, source.family === 'sd2' ? {} : { padToken })
      : CLIPTokenizer.fromFiles(join(dir, 'vocab.json'), join(dir, 'merges.txt'), { padToken });
    t.catch(() => cache.delete(key));
    cache.set(key, t);
  }
  return t;
}
