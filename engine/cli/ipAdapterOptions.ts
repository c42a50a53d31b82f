import type { Command } from 'commander';
import { resolve } from 'node:path';
import { StudioError } from '../api/errors.ts';

/** Image-prompt flags as commander hands them over. */
export interface IpAdapterCliOptions {
  ipImage?: string[];
  ipAdapter?: string;
  ipEncoder?: string;
  ipBlocks?: string;
}

const collect = (v: string, acc: string[] = []) => [...acc, v];

/** Adds the IP-Adapter flags (ALGORITHMS §3) to a command that runs the UNet. */
export function addIpAdapterOptions(cmd: Command): Command {
  return cmd
    .option('--ip-image <file[:scale]>', 'image prompt (IP-Adapter), optional scale after a colon, default 1 (repeatable)', collect)
    .option('--ip-adapter <file>', 'IP-Adapter .safetensors (ip-adapter_sd15, ip-adapter-plus_sd15, …)')
    .option('--ip-encoder <folder|file>', 'its CLIP image encoder (default: image_encoder/ beside the adapter or its folder)')
    .option('--ip-blocks <preset|list>', 'IP-Adapter only in some blocks: style, layout, style+layout, or name=scale,… (e.g. up_blocks.1=1)');
}

/** `img.png:0.6` → { path, scale }; a Windows drive letter's colon is not a scale. */
export function parseIpImage(spec: string): { path: string; scale: number } {
  const m = /^(.*):(-?\d+(?:\.\d+)?)$/.exec(spec);
  if (!m || /^[A-Za-z]$/.test(m[1])) return { path: spec, scale: 1 };
  return { path: m[1], scale: Number(m[2]) };
}

function parseBlocks(spec: string): string | Record<string, number> {
  if (['style', 'layout', 'style+layout'].includes(spec)) return spec;
  const out: Record<string, number> = {};
  for (const part of spec.split(',').filter(Boolean)) {
    const [name, value] = part.split('=');
    const v = Number(value ?? '1');
    if (!name || !Number.isFinite(v)) throw new StudioError('INVALID_REQUEST', `--ip-blocks: cannot read "${part}" (use name=scale, e.g. up_blocks.1=1)`);
    out[name.trim()] = v;
  }
  return out;
}

/** The request fields of those flags. */
export function ipAdapterRequest(o: IpAdapterCliOptions): Record<string, unknown> {
  if (!o.ipImage?.length) {
    if (o.ipAdapter) throw new StudioError('INVALID_REQUEST', '--ip-adapter needs at least one --ip-image');
    return {};
  }
  if (!o.ipAdapter) throw new StudioError('INVALID_REQUEST', '--ip-image needs --ip-adapter <file>');
  return {
    imagePrompts: o.ipImage.map((s) => {
      const { path, scale } = parseIpImage(s);
      return { image: { path: resolve(path) }, scale };
    }),
    ipAdapter: {
      path: resolve(o.ipAdapter),
      ...(o.ipEncoder ? { imageEncoder: resolve(o.ipEncoder) } : {}),
      ...(o.ipBlocks ? { blocks: parseBlocks(o.ipBlocks) } : {}),
    },
  };
}
