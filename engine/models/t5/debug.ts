import { StudioError } from '../../api/errors.ts';
import type { NpyArray } from '../../npy/npy.ts';
import { detectT5 } from './detect.ts';
import { T5Encoder, type T5EncoderRuntime } from './encoder.ts';

function int64Rows(a: NpyArray | undefined, name: string): BigInt64Array {
  if (!a) throw new StudioError('INVALID_REQUEST', `t5-encoder needs an input named ${name}`);
  if (a.shape.length !== 2 || a.shape[0] < 1 || a.shape[1] < 1) {
    throw new StudioError('SHAPE_MISMATCH', `${name} must be [B, L], got [${a.shape.join(', ')}]`, { expected: ['B', 'L'], got: a.shape });
  }
  if (a.dtype === '<i8') return a.data as BigInt64Array;
  if (a.dtype === '<i4') return BigInt64Array.from(a.data as Int32Array, (v) => BigInt(v));
  throw new StudioError('INVALID_REQUEST', `${name} must be int64 (or int32), got ${a.dtype}`);
}

/**
 * `latent-studio debug t5-encoder --checkpoint … --in ids=ids.npy --in mask=mask.npy --out hidden.npy`:
 * ids and mask int64 [B, L] → last_hidden_state float32 [B, L, d_model] after the final norm,
 * every position (pixart-tiny's `text/` goldens). Shaped as engine/cli/debugModules.ts's DebugModule.
 */
export const t5EncoderDebugModule = {
  description: 'T5 v1.1 text encoder (PixArt): SentencePiece ids and mask to the hidden states the DiT is conditioned on',
  inputs: [
    { name: 'ids', meaning: 'int64 [B, L] SentencePiece ids + EOS 1, padded with 0 (L = 120 PixArt-α, 300 Σ)' },
    { name: 'mask', meaning: 'int64 [B, L] 1 = token or EOS, 0 = padding' },
  ],
  async load(checkpointPath: string, configPath?: string, runtime: T5EncoderRuntime = {}): Promise<(inputs: Map<string, NpyArray>) => Promise<NpyArray>> {
    const spec = await detectT5(checkpointPath, configPath ? { configPath } : {});
    const encoder = new T5Encoder(spec, runtime);
    return async (inputs) => {
      const ids = inputs.get('ids');
      const mask = inputs.get('mask');
      const flatIds = int64Rows(ids, 'ids');
      const flatMask = int64Rows(mask, 'mask');
      if (mask!.shape[0] !== ids!.shape[0] || mask!.shape[1] !== ids!.shape[1]) {
        throw new StudioError('SHAPE_MISMATCH', `mask [${mask!.shape.join(', ')}] must match ids [${ids!.shape.join(', ')}]`);
      }
      const out = await encoder.encodeIds(flatIds, flatMask, ids!.shape[1]);
      return { dtype: '<f4', shape: [...out.dims], data: out.data };
    };
  },
};
