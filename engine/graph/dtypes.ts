import onnxProto from 'onnx-proto';
import type { SafetensorsDType } from '../safetensors/types.ts';
import { StudioError } from '../api/errors.ts';

const { onnx } = onnxProto;

/** Element types a graph value may carry (onnxruntime-node's names). */
export type DType =
  | 'float32' | 'float16' | 'bfloat16' | 'float64'
  | 'int64' | 'int32' | 'int16' | 'int8'
  | 'uint64' | 'uint32' | 'uint16' | 'uint8' | 'bool';

const DT = onnx.TensorProto.DataType;

export const ONNX_DTYPE: Record<DType, number> = {
  float32: DT.FLOAT, float16: DT.FLOAT16, bfloat16: DT.BFLOAT16, float64: DT.DOUBLE,
  int64: DT.INT64, int32: DT.INT32, int16: DT.INT16, int8: DT.INT8,
  uint64: DT.UINT64, uint32: DT.UINT32, uint16: DT.UINT16, uint8: DT.UINT8, bool: DT.BOOL,
};

export const DTYPE_BYTES: Record<DType, number> = {
  float32: 4, float16: 2, bfloat16: 2, float64: 8, int64: 8, int32: 4, int16: 2, int8: 1,
  uint64: 8, uint32: 4, uint16: 2, uint8: 1, bool: 1,
};

const FROM_SAFETENSORS: Partial<Record<SafetensorsDType, DType>> = {
  F32: 'float32', F16: 'float16', BF16: 'bfloat16', F64: 'float64',
  I64: 'int64', I32: 'int32', I16: 'int16', I8: 'int8',
  U64: 'uint64', U32: 'uint32', U16: 'uint16', U8: 'uint8', BOOL: 'bool',
};

export function dtypeOfSafetensors(dtype: SafetensorsDType, tensorName: string): DType {
  const d = FROM_SAFETENSORS[dtype];
  if (!d) {
    throw new StudioError('CHECKPOINT_UNSUPPORTED', `Tensor ${tensorName} has dtype ${dtype}, which the graph builder cannot use`, {
      tensor: tensorName, dtype,
    });
  }
  return d;
}

export function isFloat(d: DType): boolean {
  return d === 'float32' || d === 'float16' || d === 'bfloat16' || d === 'float64';
}

/** Typed arrays the runtime accepts for each element type (fp16 travels as raw uint16 bits). */
export type TypedArrayOf<D extends DType> = D extends 'float32' ? Float32Array
  : D extends 'float64' ? Float64Array
  : D extends 'float16' | 'bfloat16' | 'uint16' ? Uint16Array
  : D extends 'int64' ? BigInt64Array
  : D extends 'uint64' ? BigUint64Array
  : D extends 'int32' ? Int32Array
  : D extends 'uint32' ? Uint32Array
  : D extends 'int16' ? Int16Array
  : D extends 'int8' ? Int8Array
  : Uint8Array;

export type AnyTypedArray =
  | Float32Array | Float64Array | Uint16Array | BigInt64Array | BigUint64Array
  | Int32Array | Uint32Array | Int16Array | Int8Array | Uint8Array;

export function dtypeOfArray(a: AnyTypedArray): DType {
  if (a instanceof Float32Array) return 'float32';
  if (a instanceof Float64Array) return 'float64';
  if (a instanceof Uint16Array) return 'float16';
  if (a instanceof BigInt64Array) return 'int64';
  if (a instanceof BigUint64Array) return 'uint64';
  if (a instanceof Int32Array) return 'int32';
  if (a instanceof Uint32Array) return 'uint32';
  if (a instanceof Int16Array) return 'int16';
  if (a instanceof Int8Array) return 'int8';
  return 'uint8';
}
