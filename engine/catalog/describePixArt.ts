import type { Architecture } from '../api/schemas.ts';
import type { PixArtPipelineSpec } from '../models/spec.ts';
import { latentFactor } from '../models/vae/latent.ts';

/** A PixArt pipeline in plain words, with the aspect-ratio buckets the size control offers. */
export function describePixArt(spec: PixArtPipelineSpec): Architecture {
  const c = spec.transformer.config;
  const [t5] = spec.textEncoders;
  const name = spec.variant === 'sigma' ? 'PixArt-Σ' : 'PixArt-α';
  const flags = [`${c.sampleSize * 8} px`, c.microConditions ? 'micro-conditions' : null, spec.weightDType].filter(Boolean);
  return {
    family: 'pixart',
    summary: `${name} DiT ${c.depth} blocks × ${c.width} (patch ${c.patchSize}), T5 ${t5.config.numLayers} layers × ${t5.config.dModel}, ${flags.join(', ')}`,
    details: {
      backbone: 'dit',
      variant: spec.variant,
      layout: spec.layout,
      prediction: spec.prediction,
      inpainting: false,
      scaleFactor: spec.scaleFactor,
      latentFactor: latentFactor(spec.vae),
      nativeSize: spec.nativeSize,
      guidanceScale: spec.guidanceScale,
      sizes: spec.sizes.map(([width, height]) => ({ width, height })),
      maxTokens: spec.maxTokens,
      schedule: { ...spec.schedule },
      transformer: { ...c },
      textEncoder: { ...t5.config, path: t5.path, tokenizer: t5.tokenizerFile ?? 'bundled T5 spiece.model' },
      vae: { ...spec.vae, path: spec.vaeSource },
      weightDType: spec.weightDType,
      configFile: spec.configFile ?? null,
      warnings: spec.warnings,
      // What the studio refuses on a DiT until prompt editing is ported (issue 19).
      unsupported: ['edit', 'attention', 'stylize', 'imagePrompts', 'tokenMerging'],
    },
  };
}
