import { withTensorReader } from '../safetensors/reader.ts';
import type { TensorInfo } from '../safetensors/types.ts';

const ALIGN = 64;

/**
 * Copies the bytes of the given tensors into one buffer (the in-memory fallback, when no
 * folder can hold a graph file): only the tensors the graph uses, each 64-byte aligned.
 * `replaced` supplies bytes for tensors that were converted (BF16 → F32).
 */
export async function packWeights(
  infos: readonly TensorInfo[],
  replaced: ReadonlyMap<string, Uint8Array> = new Map(),
): Promise<{ data: Uint8Array; refs: Map<string, { offset: number; length: number }> }> {
  const refs = new Map<string, { offset: number; length: number }>();
  let total = 0;
  for (const info of infos) {
    const length = replaced.get(info.name)?.byteLength ?? info.byteLength;
    total = Math.ceil(total / ALIGN) * ALIGN;
    refs.set(info.name, { offset: total, length });
    total += length;
  }
  const data = new Uint8Array(total);
  await withTensorReader(async (reader) => {
    for (const info of infos) {
      const bytes = replaced.get(info.name) ?? (await reader.readBytes(info));
      data.set(bytes, refs.get(info.name)!.offset);
    }
  });
  return { data, refs };
}
