import type { Command } from 'commander';
import { resolve } from 'node:path';
import { StudioError } from '../api/errors.ts';
import type { LoraUse } from '../lora/apply.ts';

export interface LoraCliOptions {
  lora?: string[];
  loraMerge?: boolean;
  embeddings?: string;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** `--lora FILE[:SCALE]` (repeatable) and `--embeddings DIR`. */
export function addLoraOptions(cmd: Command): Command {
  return cmd
    .option('--lora <file[:scale]>', 'apply a LoRA / LyCORIS file at this multiplier (default 1; repeatable)', collect)
    .option('--lora-merge', 'fold the LoRAs into the weights: faster steps, but each new multiplier builds a new session')
    .option('--embeddings <dir>', 'textual-inversion embeddings folder (default: the models folder\'s embeddings/)');
}

/** FILE[:SCALE]: the scale is the part after the last colon when it is a number (so C:\… paths work). */
export function parseLoraArg(arg: string): LoraUse {
  const m = /^(.+):([+-]?(?:\d+(?:\.\d*)?|\.\d+))$/.exec(arg);
  const path = resolve(m ? m[1] : arg);
  const scale = m ? Number(m[2]) : 1;
  if (!Number.isFinite(scale)) throw new StudioError('INVALID_REQUEST', `--lora ${arg}: the scale must be a number`);
  return { path, scale };
}

export function loraUses(o: LoraCliOptions): LoraUse[] {
  return (o.lora ?? []).map(parseLoraArg);
}

/** The request fields of those options. */
export function loraRequest(o: LoraCliOptions): Record<string, unknown> {
  const uses = loraUses(o);
  return {
    ...(uses.length ? { loras: uses.map((u) => ({ name: u.path, scale: u.scale })) } : {}),
    ...(o.loraMerge ? { loraMode: 'merge' } : {}),
    ...(o.embeddings ? { embeddingsDir: resolve(o.embeddings) } : {}),
  };
}
