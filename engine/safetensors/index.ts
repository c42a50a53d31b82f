export { DTYPE_SIZES, type SafetensorsDType, type TensorInfo } from './types.ts';
export { MAX_HEADER_BYTES, parseSafetensorsHeader, readSafetensorsHeader, type SafetensorsHeader } from './header.ts';
export {
  TensorReader,
  decodeTensor,
  readFloat32,
  readTensor,
  readTensorBytes,
  readTensors,
  withTensorReader,
  type TensorData,
} from './reader.ts';
export { writeSafetensors, type TensorToWrite } from './writer.ts';
export * from './halfFloat.ts';
