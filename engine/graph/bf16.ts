import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readSafetensorsHeader } from '../safetensors/header.ts';
import { withTensorReader } from '../safetensors/reader.ts';
import type { TensorInfo } from '../safetensors/types.ts';
import { writeSafetensors, type TensorToWrite } from '../safetensors/writer.ts';
import { emitGraphEvent } from './events.ts';
import { fileIdentity } from './identity.ts';

/**
 * BF16 has no onnxruntime CPU kernels (not even Cast), so BF16 weights are widened once to
 * float32 — exact, unlike float16, whose range is narrower than BF16's — into a cached
 * safetensors file named by the source files' identities and the tensor set, and the
 * graph points at that file instead.
 */
export async function convertBf16ToFile(infos: readonly TensorInfo[], dir: string): Promise<Map<string, TensorInfo>> {
  if (infos.length === 0) return new Map();
  const sorted = [...infos].sort((a, b) => (a.name < b.name ? -1 : 1));
  const ids = [...new Set(sorted.map((i) => i.file))].map(fileIdentity).join('|');
  const key = createHash('sha256').update(ids).update(sorted.map((i) => `${i.name}@${i.offset}`).join('\n')).digest('hex');
  const path = join(dir, `bf16-${key.slice(0, 16)}.f32.safetensors`);
  if (!existsSync(path)) {
    const tensors = new Map<string, TensorToWrite>();
    const widened = await convertBf16InMemory(sorted);
    for (const info of sorted) tensors.set(info.name, { dtype: 'F32', shape: info.shape, data: widened.get(info.name)! });
    await writeSafetensors(path, tensors, { source: 'latent-studio bf16 → f32 weight cache' });
    emitGraphEvent({
      kind: 'bf16-converted', checkpoint: sorted[0].file, file: path, tensors: sorted.length,
      bytes: sorted.reduce((n, i) => n + i.byteLength * 2, 0),
    });
  }
  const header = await readSafetensorsHeader(path);
  const out = new Map<string, TensorInfo>();
  for (const info of sorted) out.set(info.name, header.tensors.get(info.name)!);
  return out;
}

/** Float32 bytes of each BF16 tensor, keyed by name. */
export function convertBf16InMemory(infos: readonly TensorInfo[]): Promise<Map<string, Uint8Array>> {
  return withTensorReader(async (reader) => {
    const out = new Map<string, Uint8Array>();
    for (const info of infos) {
      const f32 = (await reader.read(info)) as Float32Array;
      out.set(info.name, new Uint8Array(f32.buffer, f32.byteOffset, f32.byteLength));
    }
    return out;
  });
}
