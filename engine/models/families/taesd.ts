import { StudioError } from '../../api/errors.ts';
import type { TensorInfo } from '../../safetensors/types.ts';
import { checkCompleteness, unexpectedWarning } from '../completeness.ts';
import { renameTensors, type RenameRule } from '../keyRules.ts';
import { ShapeTable, dimOf } from '../shapeTools.ts';
import type { CheckpointLayout, TAESDConfig, TAESDSpec } from '../spec.ts';
import { WeightStore } from '../weightStore.ts';
import { weightDType } from './dtype.ts';

/**
 * TAESD (tiny autoencoder). Canonical names are those of taesd.py's `TAESD` module:
 * `encoder.<Sequential index>…` and `decoder.<Sequential index>…`. The encoder/decoder
 * files users download hold one half each with bare indices (`0.weight`); diffusers'
 * AutoencoderTiny numbers its decoder one lower because the tanh clamp at index 0 lives
 * outside its layer list.
 */

const ENCODER = { biasConvs: [0, 14], strideConvs: [2, 6, 10], blocks: [1, 3, 4, 5, 7, 8, 9, 11, 12, 13], gnBlocks: [11, 12, 13] };
const DECODER = { biasConvs: [1, 19], strideConvs: [7, 12, 17], blocks: [3, 4, 5, 8, 9, 10, 13, 14, 15, 18], gnBlocks: [3, 4, 5] };

export type TaesdFileRole = 'encoder' | 'decoder' | 'combined' | 'diffusers';

/** Keys looked for, as listed in CHECKPOINT_UNSUPPORTED messages. */
export const TAESD_FINGERPRINTS = [
  'encoder file: 0.weight [C,3,3,3] + 14.weight',
  'decoder file: 1.weight + 19.weight [3,C,3,3]',
  'combined: encoder.0.weight / decoder.1.weight',
  'diffusers AutoencoderTiny: encoder.layers.0.weight / decoder.layers.0.weight',
];

/** Which TAESD half (or whole) a key set is, from fingerprint keys and the image-side shapes. */
export function taesdFileRole(tensors: ReadonlyMap<string, TensorInfo>): TaesdFileRole | undefined {
  const shape = (k: string) => tensors.get(k)?.shape;
  if (shape('0.weight')?.[1] === 3 && tensors.has('14.weight')) return 'encoder';
  if (!tensors.has('0.weight') && tensors.has('1.weight') && shape('19.weight')?.[0] === 3) return 'decoder';
  if (tensors.has('encoder.layers.0.weight') || tensors.has('decoder.layers.0.weight')) return 'diffusers';
  if (shape('encoder.0.weight')?.[1] === 3 || shape('decoder.19.weight')?.[0] === 3) return 'combined';
  return undefined;
}

const RULES: Record<TaesdFileRole, RenameRule[]> = {
  encoder: [{ from: '', to: 'encoder.' }],
  decoder: [{ from: '', to: 'decoder.' }],
  combined: [{ from: /^((?:en|de)coder\.\d+\..+)$/, to: '$1' }],
  diffusers: [
    { from: /^encoder\.layers\.(\d+)\.(.+)$/, to: 'encoder.$1.$2' },
    { from: /^decoder\.layers\.(\d+)\.(.+)$/, to: (m) => `decoder.${Number(m[1]) + 1}.${m[2]}` },
  ],
};

export function canonicalTaesd(
  tensors: Iterable<TensorInfo>,
  role: TaesdFileRole,
): { canonical: Map<string, TensorInfo>; unmatched: string[] } {
  const { canonical, unmatched } = renameTensors(tensors, RULES[role], undefined, { passthrough: false });
  return { canonical, unmatched };
}

export function detectTaesdConfig(w: WeightStore): TAESDConfig {
  const keys = w.keys();
  const hasEncoder = keys.some((k) => k.startsWith('encoder.'));
  const hasDecoder = keys.some((k) => k.startsWith('decoder.'));
  const enc = hasEncoder ? { c: dimOf(w, [['encoder.0.weight', 0]]), C: dimOf(w, [['encoder.14.weight', 0], ['encoder.14.bias', 0]]) } : undefined;
  const dec = hasDecoder ? { c: dimOf(w, [['decoder.1.weight', 0], ['decoder.1.bias', 0]]), C: dimOf(w, [['decoder.1.weight', 1]]) } : undefined;
  if (enc && dec && (enc.c !== dec.c || enc.C !== dec.C)) {
    throw new StudioError(
      'SHAPE_MISMATCH',
      `${w.label}: TAESD encoder (${enc.C} latent channels, width ${enc.c}) and decoder (${dec.C}, width ${dec.c}) do not belong together`,
      { file: w.label },
    );
  }
  const poolKey = keys.find((k) => /\.pool\.0\.weight$/.test(k));
  return {
    latentChannels: (enc ?? dec)!.C,
    channels: (enc ?? dec)!.c,
    hasEncoder,
    hasDecoder,
    midBlockGroupNorm: poolKey !== undefined,
    poolChannels: poolKey ? w.get(poolKey).shape[0] : 0,
  };
}

export function expectedTaesdTensors(cfg: TAESDConfig): Map<string, number[]> {
  const t = new ShapeTable();
  const c = cfg.channels;
  const half = (prefix: string, arch: typeof ENCODER, first: [number, number], last: [number, number]) => {
    t.conv(`${prefix}.${arch.biasConvs[0]}`, first[0], first[1], 3);
    t.conv(`${prefix}.${arch.biasConvs[1]}`, last[0], last[1], 3);
    for (const i of arch.strideConvs) t.conv(`${prefix}.${i}`, c, c, 3, false);
    for (const b of arch.blocks) {
      for (const j of [0, 2, 4]) t.conv(`${prefix}.${b}.conv.${j}`, c, c, 3);
      if (cfg.midBlockGroupNorm && arch.gnBlocks.includes(b)) {
        t.conv(`${prefix}.${b}.pool.0`, cfg.poolChannels, c, 1, false);
        t.norm(`${prefix}.${b}.pool.1`, cfg.poolChannels);
        t.conv(`${prefix}.${b}.pool.3`, c, cfg.poolChannels, 1, false);
      }
    }
  };
  if (cfg.hasEncoder) half('encoder', ENCODER, [c, 3], [cfg.latentChannels, c]);
  if (cfg.hasDecoder) half('decoder', DECODER, [c, cfg.latentChannels], [3, c]);
  return t.shapes;
}

export function assembleTaesd(input: {
  label: string;
  layout: CheckpointLayout;
  tensors: ReadonlyMap<string, TensorInfo>;
  warnings?: string[];
}): TAESDSpec {
  const store = WeightStore.from(input.tensors, input.label);
  const taesd = detectTaesdConfig(store);
  const { unexpected } = checkCompleteness(input.label, input.tensors, expectedTaesdTensors(taesd), []);
  return {
    family: 'taesd',
    layout: input.layout,
    files: store.files(),
    weights: store,
    weightDType: weightDType(input.tensors.values()),
    unexpectedKeys: unexpected,
    warnings: [...(input.warnings ?? []), ...unexpectedWarning(unexpected)],
    taesd,
    scaleFactor: 1,
  };
}
