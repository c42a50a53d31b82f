import { textEncoderDebugModule } from '../models/clip/debug.ts';
import { t5EncoderDebugModule } from '../models/t5/debug.ts';
import { unetDebugModule } from '../models/unet/debug.ts';
import { ditDebugModule } from '../models/pixart/debug.ts';
import { sdxlPooledDebugModule, sdxlTextEncodersDebugModule } from '../models/clip/sdxlDebug.ts';
import { sdxlUNetDebugModule, sdxlVectorDebugModule } from '../models/unet/sdxlDebug.ts';
import type { NpyArray } from '../npy/npy.ts';
import {
  clipVisionDebugModule,
  clipVisionPenultimateDebugModule,
  taesdDecoderDebugModule,
  taesdEncoderDebugModule,
  vaeDecoderDebugModule,
  vaeEncoderDebugModule,
} from './debugImageModules.ts';

export interface DebugModule {
  description: string;
  inputs: readonly { name: string; meaning: string }[];
  /** Builds the module for a checkpoint and returns a function that runs it once. */
  load(checkpoint: string, config?: string): Promise<(inputs: Map<string, NpyArray>) => Promise<NpyArray>>;
}

/**
 * Network modules the debug command can run; each engine module provides its own runner.
 * Inputs and outputs mean what ../shared/golden/README.md says they mean.
 */
export const DEBUG_MODULES: Record<string, DebugModule> = {
  'text-encoder': textEncoderDebugModule,
  't5-encoder': t5EncoderDebugModule,
  unet: unetDebugModule,
  'vae-decoder': vaeDecoderDebugModule,
  'vae-encoder': vaeEncoderDebugModule,
  'taesd-decoder': taesdDecoderDebugModule,
  'taesd-encoder': taesdEncoderDebugModule,
  'clip-vision': clipVisionDebugModule,
  'clip-vision-penultimate': clipVisionPenultimateDebugModule,
  dit: ditDebugModule,
  // SDXL; its VAE runs on vae-decoder / vae-encoder (scale factor 0.13025 from the checkpoint's family).
  'sdxl-text-encoders': sdxlTextEncodersDebugModule,
  'sdxl-pooled': sdxlPooledDebugModule,
  'sdxl-vector': sdxlVectorDebugModule,
  'sdxl-unet': sdxlUNetDebugModule,
};

export type DebugModuleName = keyof typeof DEBUG_MODULES;
