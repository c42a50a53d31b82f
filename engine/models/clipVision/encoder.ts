import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { StudioError } from '../../api/errors.ts';
import { checkpointIdentity } from '../../graph/identity.ts';
import { Network, type NetworkRuntime } from '../../graph/network.ts';
import type { HostTensor } from '../../graph/session.ts';
import { readSafetensorsHeader } from '../../safetensors/header.ts';
import { WeightStore } from '../weightStore.ts';
import { type VisionConfig, visionConfig } from './config.ts';
import { type VisionOutput, buildVisionEncoderGraph } from './graph.ts';

export type VisionRuntime = NetworkRuntime;

export interface ImageEncoder {
  readonly path: string;
  readonly config: VisionConfig;
  /** pixel_values [B, 3, S, S] (already preprocessed) → image_embeds [B, projectionDim]. */
  embeds(pixels: HostTensor): Promise<HostTensor>;
  /** pixel_values → hidden_states[-2] [B, 1 + grid², hidden]. */
  penultimate(pixels: HostTensor): Promise<HostTensor>;
}

/**
 * The weights file of an image encoder: a `.safetensors` file, or a folder holding
 * `model.safetensors` (transformers' save layout, as in h94's `models/image_encoder/`).
 */
export function resolveImageEncoderFile(path: string): { file: string; config?: string } {
  const isDir = existsSync(path) && statSync(path).isDirectory();
  const file = isDir ? join(path, 'model.safetensors') : path;
  if (!existsSync(file)) {
    throw new StudioError('NOT_FOUND', isDir ? `${path} holds no model.safetensors (the CLIP vision encoder)` : `Image encoder ${path} not found`, { path });
  }
  const config = join(dirname(file), 'config.json');
  return { file, ...(existsSync(config) ? { config } : {}) };
}

export async function loadImageEncoder(path: string, runtime: VisionRuntime = {}): Promise<ImageEncoder> {
  const { file, config: configPath } = resolveImageEncoderFile(path);
  const header = await readSafetensorsHeader(file);
  const w = WeightStore.from(header.tensors, file);
  if (!w.has('vision_model.embeddings.patch_embedding.weight')) {
    throw new StudioError('CHECKPOINT_UNSUPPORTED', `${file} is not a CLIP vision encoder (no vision_model.embeddings.patch_embedding.weight)`, { file });
  }
  const config = await visionConfig(w, configPath);
  const network = new Network(checkpointIdentity(w.files()), 'clip-vision', runtime);
  const run = async (output: VisionOutput, pixels: HostTensor) => {
    const out = await network.run(
      { signature: `out=${output};layers=${config.numLayers};heads=${config.numHeads};act=${config.hiddenAct}`, build: (computeType) => buildVisionEncoderGraph(w, config, output, computeType) },
      { pixel_values: pixels },
    );
    return output === 'embeds' ? out.image_embeds : out.penultimate;
  };
  return {
    path: file,
    config,
    embeds: (pixels) => {
      if (!config.projectionDim) throw new StudioError('CHECKPOINT_INCOMPLETE', `${file} has no visual_projection: it cannot give image embeddings`, { missing: ['visual_projection.weight'] });
      return run('embeds', pixels);
    },
    penultimate: (pixels) => run('penultimate', pixels),
  };
}
