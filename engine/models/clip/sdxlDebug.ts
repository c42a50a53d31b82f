import { StudioError } from '../../api/errors.ts';
import type { NpyArray } from '../../npy/npy.ts';
import { detectModel } from '../detect.ts';
import type { SDXLSpec } from '../spec.ts';
import { type SDXLTextEncoders, loadSDXLTextEncoders } from './sdxlTextEncoder.ts';

/** An SDXL checkpoint or an INVALID_REQUEST naming the module to use instead. */
export async function sdxlSpecFor(module: string, checkpointPath: string, configPath?: string): Promise<SDXLSpec> {
  const spec = await detectModel(checkpointPath, configPath ? { configPath } : {});
  if (spec.family !== 'sdxl') throw new StudioError('INVALID_REQUEST', `debug ${module} takes an SDXL checkpoint; ${checkpointPath} is ${spec.family}`);
  return spec;
}

function idsInput(inputs: Map<string, NpyArray>, name: string, P: number): BigInt64Array {
  const a = inputs.get(name);
  if (!a) throw new StudioError('INVALID_REQUEST', `needs an input named ${name}`);
  if (a.shape.length !== 2 || a.shape[1] !== P) throw new StudioError('SHAPE_MISMATCH', `${name} must be [B, ${P}], got [${a.shape.join(', ')}]`);
  if (a.dtype === '<i8') return a.data as BigInt64Array;
  if (a.dtype === '<i4') return BigInt64Array.from(a.data as Int32Array, (v) => BigInt(v));
  throw new StudioError('INVALID_REQUEST', `${name} must be int64 (or int32), got ${a.dtype}`);
}

type Run = (enc: SDXLTextEncoders, spec: SDXLSpec, inputs: Map<string, NpyArray>) => Promise<NpyArray>;

function sdxlTextModule(description: string, inputs: { name: string; meaning: string }[], run: Run, name: string) {
  return {
    description,
    inputs,
    async load(checkpointPath: string, configPath?: string): Promise<(inputs: Map<string, NpyArray>) => Promise<NpyArray>> {
      const spec = await sdxlSpecFor(name, checkpointPath, configPath);
      const enc = await loadSDXLTextEncoders(spec);
      return (given) => run(enc, spec, given);
    },
  };
}

const IDS_L = { name: 'ids_l', meaning: 'int64 [B, 77] CLIP-L token ids, padded with 49407 (EOS); ignored by the refiner' };
const IDS_G = { name: 'ids_g', meaning: 'int64 [B, 77] bigG token ids (open_clip), padded with 0' };

/** `debug sdxl-text-encoders`: the cross-attention context, CLIP-L penultimate ‖ bigG penultimate (no final norms). */
export const sdxlTextEncodersDebugModule = sdxlTextModule(
  'SDXL text encoders: token ids to the cross-attention context (CLIP-L penultimate ‖ bigG penultimate, no final LayerNorm)',
  [IDS_L, IDS_G],
  async (enc, spec, inputs) => {
    const g = idsInput(inputs, 'ids_g', enc.sequenceLength);
    const l = spec.textEncoders.clipL ? idsInput(inputs, 'ids_l', enc.sequenceLength) : undefined;
    const out = await enc.encodeIds(l, g);
    return { dtype: '<f4', shape: [...out.context.dims], data: out.context.data };
  },
  'sdxl-text-encoders',
);

/** `debug sdxl-pooled`: bigG's pooled vector, ln_final(last layer)[EOS] · text_projection. */
export const sdxlPooledDebugModule = sdxlTextModule(
  'SDXL bigG pooled text vector: ln_final(last layer) at the EOS token, times text_projection',
  [IDS_G],
  async (enc, _spec, inputs) => {
    const g = idsInput(inputs, 'ids_g', enc.sequenceLength);
    const out = await enc.encodeTowers(undefined, g);
    return { dtype: '<f4', shape: [...out.pooled.dims], data: out.pooled.data };
  },
  'sdxl-pooled',
);
