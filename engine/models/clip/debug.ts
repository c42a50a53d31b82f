import { StudioError } from '../../api/errors.ts';
import type { NpyArray } from '../../npy/npy.ts';
import { detectModel } from '../detect.ts';
import { loadTextEncoder, type TextEncoderRuntime } from './textEncoder.ts';
import { applyLoras, type LoraUse } from '../../lora/apply.ts';
import type { LoraMode } from '../../lora/adapters.ts';

/**
 * `latent-studio debug text-encoder --checkpoint … [--config …] --in ids=ids.npy --out hidden.npy`:
 * token ids int64 [B, 77] (int32 accepted) → float32 [B, 77, hidden], the last hidden state
 * after the final LayerNorm at the family's default clip skip — the golden files'
 * `text/last_hidden_state.npy` for SD 1.x, ldm's penultimate-layer conditioning for SD 2.x.
 * Shaped as engine/cli/debugModules.ts's DebugModule.
 */
export const textEncoderDebugModule = {
  description: 'CLIP / OpenCLIP text encoder: token ids to the hidden states the UNet is conditioned on',
  inputs: [{ name: 'ids', meaning: 'int64 [B, 77] token ids' }],
  async load(checkpointPath: string, configPath?: string, runtime: TextEncoderRuntime = {}, loras: readonly LoraUse[] = [], loraMode?: LoraMode): Promise<(inputs: Map<string, NpyArray>) => Promise<NpyArray>> {
    const spec = await detectModel(checkpointPath, configPath ? { configPath } : {});
    if (spec.family === 'taesd' || spec.family === 'pixart') throw new StudioError('INVALID_REQUEST', `${checkpointPath} is a TAESD model: it has no text encoder`);
    if (spec.family === 'sdxl') throw new StudioError('INVALID_REQUEST', `${checkpointPath} is SDXL, with two text encoders: use debug sdxl-text-encoders`);
    const lora = loras.length ? (await applyLoras(spec, loras, loraMode)).text : undefined;
    const encoder = await loadTextEncoder(spec, { ...runtime, lora });
    const P = encoder.sequenceLength;
    return async (inputs) => {
      const ids = inputs.get('ids');
      if (!ids) throw new StudioError('INVALID_REQUEST', 'text-encoder needs an input named ids');
      if (ids.shape.length !== 2 || ids.shape[1] !== P || ids.shape[0] < 1) {
        throw new StudioError('SHAPE_MISMATCH', `ids must be [B, ${P}], got [${ids.shape.join(', ')}]`, { expected: ['B', P], got: ids.shape });
      }
      let flat: BigInt64Array;
      if (ids.dtype === '<i8') flat = ids.data as BigInt64Array;
      else if (ids.dtype === '<i4') flat = BigInt64Array.from(ids.data as Int32Array, (v) => BigInt(v));
      else throw new StudioError('INVALID_REQUEST', `ids must be int64 (or int32), got ${ids.dtype}`);
      const out = await encoder.encodeIds(flat, ids.shape[0]);
      return { dtype: '<f4', shape: [...out.dims], data: out.data };
    };
  },
};
