import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readSafetensorsHeader } from '../../engine/safetensors/header.ts';
import { readTensorBytes } from '../../engine/safetensors/reader.ts';
import { type TensorToWrite, writeSafetensors } from '../../engine/safetensors/writer.ts';
import { sharedPath } from '../support/shared.ts';

export const pixartTiny = (...p: string[]) => sharedPath('golden', 'pixart-tiny', ...p);
export const sd15Tiny = sharedPath('golden', 'sd15-tiny', 'sd15-tiny.f32.safetensors');

/** sd15-tiny's VAE on its own, in the bare LDM naming standalone VAE files use (`encoder.down.…`). */
export async function writeTinyVae(file: string): Promise<void> {
  const header = await readSafetensorsHeader(sd15Tiny);
  const tensors = new Map<string, TensorToWrite>();
  for (const [name, info] of header.tensors) {
    if (!name.startsWith('first_stage_model.')) continue;
    tensors.set(name.slice('first_stage_model.'.length), { dtype: info.dtype, shape: info.shape, data: await readTensorBytes(info) });
  }
  await writeSafetensors(file, tensors);
}

export interface TinyPixArtParts {
  transformer?: boolean;
  textEncoder?: boolean;
  vae?: boolean;
}

/**
 * A PixArt-α pipeline folder as diffusers lays it out, from the golden set's diffusers
 * transformer and transformers T5 plus sd15-tiny's 4-channel VAE; parts can be left out.
 */
export async function writeTinyPixArtFolder(dir: string, parts: TinyPixArtParts = {}): Promise<string> {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'model_index.json'), JSON.stringify({ _class_name: 'PixArtAlphaPipeline', transformer: ['diffusers', 'PixArtTransformer2DModel'] }));
  if (parts.transformer !== false) cpSync(pixartTiny('transformer'), join(dir, 'transformer'), { recursive: true });
  if (parts.textEncoder !== false) {
    mkdirSync(join(dir, 'text_encoder'));
    for (const f of ['config.json', 'model.safetensors']) cpSync(pixartTiny('text_encoder', f), join(dir, 'text_encoder', f));
  }
  if (parts.vae !== false) {
    mkdirSync(join(dir, 'vae'));
    await writeTinyVae(join(dir, 'vae', 'diffusion_pytorch_model.safetensors'));
  }
  mkdirSync(join(dir, 'scheduler'));
  writeFileSync(join(dir, 'scheduler', 'scheduler_config.json'), JSON.stringify({ _class_name: 'DPMSolverMultistepScheduler', beta_schedule: 'linear', beta_start: 0.0001, beta_end: 0.02, num_train_timesteps: 1000 }));
  return dir;
}
