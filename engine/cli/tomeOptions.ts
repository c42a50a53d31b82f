import type { Command } from 'commander';
import { StudioError } from '../api/errors.ts';
import { MAX_TOME_RATIO, MERGE_SUB_LAYERS, type MergeSubLayer, TOME_DEFAULTS, type TokenMergingOptions } from '../controllers/tome/options.ts';

/** Token-merging flags as commander hands them over. */
export interface TomeCliOptions {
  tome?: string;
  tomeSx?: string;
  tomeSy?: string;
  tomeNoRand?: boolean;
  tomeSeed?: string;
  tomeMaxDownsample?: string;
  tomeMerge?: string;
  tomeExcludeMasked?: boolean;
}

/** Adds the token-merging flags (ToMe for SD, ALGORITHMS §2) to a command that runs the UNet. */
export function addTomeOptions(cmd: Command, opts: { ratio?: boolean; mask?: boolean } = {}): Command {
  const d = TOME_DEFAULTS;
  if (opts.ratio !== false) cmd.option('--tome <ratio>', `token merging ratio, 0–${MAX_TOME_RATIO} (0 = off)`);
  cmd
    .option('--tome-sx <n>', `token merging: window width in which one destination token is chosen (default ${d.sx})`)
    .option('--tome-sy <n>', `token merging: window height (default ${d.sy})`)
    .option('--tome-no-rand', 'token merging: destination = top-left of each window instead of a seeded random one')
    .option('--tome-seed <n>', `token merging: seed of the destination choice (default ${d.seed})`)
    .option('--tome-max-downsample <n>', `token merging: merge in blocks downsampled at most 1, 2, 4 or 8 times from the finest self-attention (default ${d.maxDownsample})`)
    .option('--tome-merge <list>', `token merging: sub-layers on merged tokens, of ${MERGE_SUB_LAYERS.join(',')} (default ${d.merge.join(',')})`);
  if (opts.mask) cmd.option('--tome-exclude-masked', 'token merging: tokens under the mask are never merged');
  return cmd;
}

const int = (v: string | undefined, flag: string) => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n)) throw new StudioError('INVALID_REQUEST', `${flag} expects an integer, got ${JSON.stringify(v)}`);
  return n;
};

/** The request's `tokenMerging` from the flags, or undefined without `--tome`. Validated at the API boundary. */
export function tomeCliOptions(o: TomeCliOptions): (Partial<TokenMergingOptions> & { ratio: number; excludeMasked?: boolean }) | undefined {
  if (o.tome === undefined) return undefined;
  const ratio = Number(o.tome);
  if (!Number.isFinite(ratio)) throw new StudioError('INVALID_REQUEST', `--tome expects a ratio between 0 and ${MAX_TOME_RATIO}, got ${JSON.stringify(o.tome)}`);
  const out: Partial<TokenMergingOptions> & { ratio: number; excludeMasked?: boolean } = { ratio };
  const sx = int(o.tomeSx, '--tome-sx');
  const sy = int(o.tomeSy, '--tome-sy');
  const seed = int(o.tomeSeed, '--tome-seed');
  const md = int(o.tomeMaxDownsample, '--tome-max-downsample');
  if (sx !== undefined) out.sx = sx;
  if (sy !== undefined) out.sy = sy;
  if (seed !== undefined) out.seed = seed;
  if (md !== undefined) out.maxDownsample = md as TokenMergingOptions['maxDownsample'];
  if (o.tomeNoRand) out.useRand = false;
  if (o.tomeMerge !== undefined) out.merge = o.tomeMerge.split(',').map((s) => s.trim()).filter(Boolean) as MergeSubLayer[];
  if (o.tomeExcludeMasked) out.excludeMasked = true;
  return out;
}
