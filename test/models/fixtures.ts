import { open, readFile } from 'node:fs/promises';
import { DTYPE_SIZES, type SafetensorsDType } from '../../engine/safetensors/types.ts';
import { sharedPath } from '../support/shared.ts';

export interface KeySpec {
  dtype: SafetensorsDType;
  shape: number[];
}

/**
 * A valid .safetensors file whose data region is a sparse hole: detection reads only
 * headers, so key-layout tests need no real weights and cost no disk even at full size.
 */
export async function writeHeaderOnly(path: string, tensors: Iterable<[string, KeySpec]>): Promise<void> {
  const entries = [...tensors].sort(([a, x], [b, y]) => DTYPE_SIZES[y.dtype] - DTYPE_SIZES[x.dtype] || (a < b ? -1 : 1));
  const header: Record<string, unknown> = { __metadata__: { format: 'pt' } };
  let offset = 0;
  for (const [name, t] of entries) {
    const size = t.shape.reduce((a, d) => a * d, DTYPE_SIZES[t.dtype]);
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + size] };
    offset += size;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (json.length % 8)) % 8);
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
  const fh = await open(path, 'w');
  try {
    await fh.write(Buffer.concat([prefix, Buffer.from(json)]));
    await fh.truncate(8 + Buffer.byteLength(json) + offset);
  } finally {
    await fh.close();
  }
}

/** ../shared/golden/sd15-tiny/keys.txt as name → {dtype, shape}. */
export async function sd15TinyKeys(): Promise<Map<string, KeySpec>> {
  const text = await readFile(sharedPath('golden', 'sd15-tiny', 'keys.txt'), 'utf8');
  const out = new Map<string, KeySpec>();
  for (const line of text.trim().split('\n')) {
    const [name, dtype, shape] = line.split('\t');
    out.set(name, { dtype: dtype as SafetensorsDType, shape: shape.split('x').map(Number) });
  }
  return out;
}

export const SCHEDULE_BUFFERS = [
  'betas', 'alphas_cumprod', 'alphas_cumprod_prev', 'sqrt_alphas_cumprod', 'sqrt_one_minus_alphas_cumprod',
  'log_one_minus_alphas_cumprod', 'sqrt_recip_alphas_cumprod', 'sqrt_recipm1_alphas_cumprod', 'posterior_variance',
  'posterior_log_variance_clipped', 'posterior_mean_coef1', 'posterior_mean_coef2',
];

export const f32 = (shape: number[]): KeySpec => ({ dtype: 'F32', shape });
export const numel = (shape: number[]) => shape.reduce((a, d) => a * d, 1);
