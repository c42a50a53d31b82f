import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Architecture } from '../api/schemas.ts';
import { adapterLayout } from '../controllers/ipAdapter/layout.ts';
import { visionConfig } from '../models/clipVision/config.ts';
import { WeightStore } from '../models/weightStore.ts';
import { detectT5, looksLikeT5Encoder } from '../models/t5/detect.ts';
import { loadStandaloneVae } from '../models/vae/standalone.ts';
import { readSafetensorsHeader } from '../safetensors/header.ts';

/**
 * Files that sit in a models folder beside checkpoints but are not image models: IP-Adapters
 * and their CLIP image encoders, T5 encoders and VAEs that PixArt models take from beside them. Listed by what they are, so the model list does not show
 * them as broken checkpoints and the UI can offer them where they belong. Null for others.
 */
export async function describeAuxiliary(path: string): Promise<Architecture | null> {
  if (!path.endsWith('.safetensors')) return null;
  const { tensors } = await readSafetensorsHeader(path);
  const keys = [...tensors.keys()];
  if (keys.some((k) => k.startsWith('image_proj.') || k.startsWith('ip_adapter.'))) {
    const layout = adapterLayout(tensors, path);
    const variant = layout.projection === 'resampler' ? 'plus (Resampler)' : 'base';
    return {
      family: 'ip-adapter',
      summary: `IP-Adapter ${variant}, ${layout.tokens} image tokens, ${layout.layerKeys.length} cross-attention sites, context ${layout.contextDim}`,
      details: { ...layout },
    };
  }
  if (tensors.has('vision_model.embeddings.patch_embedding.weight')) {
    const config = join(dirname(path), 'config.json');
    const c = await visionConfig(WeightStore.from(tensors, path), existsSync(config) ? config : undefined);
    return {
      family: 'clip-vision',
      summary: `CLIP image encoder ${c.hiddenSize} wide, ${c.numLayers} layers, ${c.imageSize}² in patches of ${c.patchSize}`,
      details: { ...c },
    };
  }
  if (looksLikeT5Encoder(tensors)) {
    const t5 = await detectT5(path);
    return {
      family: 't5-encoder',
      summary: `T5 text encoder ${t5.config.numLayers} layers × ${t5.config.dModel} (${t5.weightDType}), for PixArt models beside it`,
      details: { ...t5.config, tokenizer: t5.tokenizerFile ?? 'bundled T5 spiece.model' },
    };
  }
  if (keys.some((k) => /^(encoder\.down(_blocks)?\.|decoder\.up(_blocks)?\.)/.test(k))) {
    const vae = await loadStandaloneVae(path);
    return {
      family: 'vae',
      summary: `VAE (KL autoencoder) ${vae.config.ch}×[${vae.config.chMult.join(',')}], ${vae.config.embedDim} latent channels, for PixArt models beside it`,
      details: { ...vae.config },
    };
  }
  return null;
}
