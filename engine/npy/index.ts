export { encodeNpy, npyToFloat32, parseNpy, readNpy, writeNpy, type NpyArray, type NpyData, type NpyDType } from './npy.ts';
