/** Element types a safetensors header may declare, with their byte sizes. */
export const DTYPE_SIZES = {
  F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1,
  U16: 2, U32: 4, U64: 8, F8_E4M3: 1, F8_E5M2: 1,
} as const;

export type SafetensorsDType = keyof typeof DTYPE_SIZES;

/** Where one tensor lives: absolute byte range inside its file, never its data. */
export interface TensorInfo {
  name: string;
  dtype: SafetensorsDType;
  shape: number[];
  /** Absolute byte offset of the tensor's first byte in the file. */
  offset: number;
  byteLength: number;
  /** The file that holds it (one checkpoint may span several files, e.g. diffusers folders). */
  file: string;
  /**
   * The tensor's name inside `file` when `name` is a canonical name that differs from it
   * (diffusers / OpenCLIP keys mapped into the LDM key space, or a slice of a fused tensor).
   */
  sourceName?: string;
}
