import type { SafetensorsDType, TensorInfo } from '../../safetensors/types.ts';

const FLOATS = new Set<SafetensorsDType>(['F64', 'F32', 'F16', 'BF16', 'F8_E4M3', 'F8_E5M2']);

/**
 * The storage dtype of a checkpoint's floating-point weights (integer buffers such as
 * position_ids do not count), or 'mixed'. Builders use it to choose fp16 initializers
 * plus Cast on CPU versus fp32 initializers.
 */
export function weightDType(tensors: Iterable<TensorInfo>): SafetensorsDType | 'mixed' {
  const seen = new Set<SafetensorsDType>();
  for (const t of tensors) if (FLOATS.has(t.dtype)) seen.add(t.dtype);
  return seen.size === 1 ? [...seen][0] : 'mixed';
}
