import { StudioError } from '../../api/errors.ts';
import { unexpectedWarning } from '../completeness.ts';
import { SDXL_EXTRAS, SDXL_TEXT_G, SDXL_TEXT_G_PROJECTION, SDXL_TEXT_L } from '../layouts/sdxl.ts';
import { detectTextEncoderShapes, expectedTextEncoderTensors, type TextEncoderShapes } from '../clip/shapes.ts';
import { detectUNetShapes, expectedUNetTensors } from '../unet/shapes.ts';
import { detectVAEConfig, expectedVAETensors } from '../vae/shapes.ts';
import type { ConfigHints, SDXLSpec, TextEncoderConfig, UNetConfig } from '../spec.ts';
import type { WeightStore } from '../weightStore.ts';
import { type AssembleInput, UNET, VAE, resolveText, resolveUNetHeads, specHead } from './ldmFamily.ts';
import { PartCheck } from './partCheck.ts';
import { SDXL_MICRO_EMBED_DIM, SDXL_MICRO_WIDTH, SDXL_TEXT_CONVENTIONS, type SDXLFamilyRecord } from './sdxl.ts';

/** Width of y for a pooled vector of `pooled` values and these micro-conditions. */
export function sdxlVectorWidth(pooled: number, micro: SDXLSpec['microConditions']): number {
  return pooled + micro.reduce((n, m) => n + SDXL_MICRO_WIDTH[m] * SDXL_MICRO_EMBED_DIM, 0);
}

/** The bigG projection's canonical key, orientation and output width, if the file has one. */
function projection(w: WeightStore): { key: string; dim: number } | undefined {
  const matrix = w.tryGet(SDXL_TEXT_G_PROJECTION);
  if (matrix) return { key: SDXL_TEXT_G_PROJECTION, dim: matrix.shape[1] ?? 0 };
  const linear = w.tryGet(`${SDXL_TEXT_G_PROJECTION}.weight`);
  if (linear) return { key: `${SDXL_TEXT_G_PROJECTION}.weight`, dim: linear.shape[0] };
  return undefined;
}

/**
 * SDXL base or refiner from canonical tensors: every dimension from shapes, completeness of
 * UNet, VAE, both towers and the projection in one error, then the cross-checks that tie
 * them together (context = the towers' widths, y = pooled + micro-condition embeddings).
 */
export function assembleSDXL(record: SDXLFamilyRecord, input: AssembleInput): SDXLSpec {
  const { label, tensors, hints } = input;
  const parts = new PartCheck(label, tensors);
  const store = parts.store;
  const unetShapes = parts.part(UNET, detectUNetShapes, expectedUNetTensors);
  const vae = parts.part(VAE, detectVAEConfig, expectedVAETensors);
  const clipL = record.hasClipL ? parts.part(SDXL_TEXT_L, detectTextEncoderShapes, expectedTextEncoderTensors) : undefined;
  const clipG = parts.part(SDXL_TEXT_G, detectTextEncoderShapes, expectedTextEncoderTensors);
  const proj = projection(store);
  if (clipG) {
    const H = clipG.hiddenSize;
    if (!proj) parts.expect(SDXL_TEXT_G_PROJECTION, [H, H]);
    else if (proj.key === SDXL_TEXT_G_PROJECTION) parts.expect(proj.key, [H, proj.dim]);
    else parts.expect(proj.key, [proj.dim, H]);
  }
  const unexpected = parts.finish(record.description, record.family, SDXL_EXTRAS);
  if (!unetShapes || !vae || !clipG || !proj || (record.hasClipL && !clipL)) throw new Error('unreachable: finish() throws for a part that failed');

  const contextDim = (clipL?.hiddenSize ?? 0) + clipG.hiddenSize;
  const attn2 = store.keys().find((k) => k.startsWith(`${UNET}.`) && k.endsWith('.attn2.to_k.weight'));
  if (unetShapes.contextDim !== contextDim) {
    throw mismatch(label, `${attn2 ?? 'the UNet cross-attention'} reads ${unetShapes.contextDim}-wide context, but the text towers give ${clipL ? `${clipL.hiddenSize} + ` : ''}${clipG.hiddenSize} = ${contextDim}`, attn2);
  }
  const adm = sdxlVectorWidth(proj.dim, record.microConditions);
  if (unetShapes.admInChannels !== adm) {
    const what = unetShapes.admInChannels === 0 ? 'has no label_emb (vector conditioning)' : `takes y of width ${unetShapes.admInChannels}`;
    throw mismatch(label, `${UNET}.label_emb.0.0.weight: the UNet ${what}, but ${record.description} builds y from the ${proj.dim}-wide pooled vector and ${record.microConditions.join(', ')} = ${adm}`, `${UNET}.label_emb.0.0.weight`);
  }

  const unet: UNetConfig = { ...unetShapes, ...resolveUNetHeads(label, unetShapes, hints, record) };
  const text = (s: TextEncoderShapes, which: 'clipL' | 'clipG'): TextEncoderConfig =>
    resolveText(label, s, textHints(hints, which), SDXL_TEXT_CONVENTIONS[which]);
  const d = record.defaults;
  return {
    family: 'sdxl',
    variant: record.variant,
    ...specHead(input, store, unexpected, [...(input.warnings ?? []), ...unexpectedWarning(unexpected)]),
    prediction: hints?.prediction ?? d.prediction,
    predictionSource: hints?.prediction ? 'config' : 'family-default',
    inpainting: unet.inChannels === 9,
    scaleFactor: hints?.scaleFactor ?? d.scaleFactor,
    nativeSize: hints?.nativeSize ?? d.nativeSize,
    guidanceScale: hints?.guidanceScale ?? d.guidanceScale,
    unet,
    vae,
    textEncoders: {
      ...(clipL ? { clipL: text(clipL, 'clipL') } : {}),
      clipG: { ...text(clipG, 'clipG'), projectionDim: proj.dim },
    },
    microConditions: [...record.microConditions],
    ...(input.tokenizerDir ? { tokenizerDir: input.tokenizerDir } : {}),
  };
}

/** The per-tower facts of a config, in the shape resolveText reads (activation and layer are SDXL's fixed conventions). */
function textHints(hints: ConfigHints | undefined, which: 'clipL' | 'clipG'): ConfigHints | undefined {
  const heads = hints?.sdxlTextHeads?.[which];
  return heads ? { source: hints?.source, textNumHeads: heads } : undefined;
}

function mismatch(label: string, what: string, tensor?: string): StudioError {
  return new StudioError('SHAPE_MISMATCH', `${label}: ${what}`, { file: label, ...(tensor ? { tensor } : {}) });
}
