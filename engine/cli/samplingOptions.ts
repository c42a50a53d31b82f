import { type Command, Option } from 'commander';
import { resolve } from 'node:path';
import { StudioError } from '../api/errors.ts';
import { SAMPLERS } from '../api/schemas.ts';
import { defaultModelPath } from '../catalog/defaultModel.ts';
import type { Handlers } from '../api/contract.ts';
import type { StudioContext } from '../studio/context.ts';
import { progressPrinter } from './progress.ts';
import { addTomeOptions, tomeCliOptions, type TomeCliOptions } from './tomeOptions.ts';
import { addIpAdapterOptions, ipAdapterRequest, type IpAdapterCliOptions } from './ipAdapterOptions.ts';
import { addLoraOptions, loraRequest, type LoraCliOptions } from './loraOptions.ts';

export interface SamplingCliOptions extends TomeCliOptions, IpAdapterCliOptions, LoraCliOptions {
  model?: string;
  prompt: string;
  negative: string;
  steps: string;
  cfg?: string;
  seed?: string;
  width?: string;
  height?: string;
  sampler: (typeof SAMPLERS)[number];
  batch: string;
  out: string;
  vae?: string;
}

/** The options every image-making command shares. */
export function addSamplingOptions(cmd: Command, sizeDefault: 'model' | 'image'): Command {
  const fallback = sizeDefault === 'model' ? "the model's training resolution" : "the image's";
  addTomeOptions(cmd);
  addIpAdapterOptions(cmd);
  addLoraOptions(cmd);
  return cmd
    .option('--model <file|folder>', 'checkpoint (default: the bundled model)')
    .option('--vae <file|folder>', 'VAE to decode with, for models that keep it apart (PixArt); default: vae/ or a *vae*.safetensors beside the model')
    .requiredOption('--prompt <text>', 'what to draw')
    .option('--negative <text>', 'what to avoid', '')
    .option('--steps <n>', 'sampling steps', '25')
    .option('--cfg <f>', 'classifier-free guidance scale (default: the model\'s recommended scale, else 7.5)')
    .option('--seed <n>', 'seed (default: random, printed)')
    .option('--width <px>', `width in pixels, rounded down to a multiple of 8 (default: ${fallback})`)
    .option('--height <px>', `height in pixels, rounded down to a multiple of 8 (default: ${fallback})`)
    .addOption(new Option('--sampler <name>', 'sampler').choices([...SAMPLERS]).default('ddim'))
    .option('--batch <n>', 'number of images; image i uses seed + i', '1')
    .requiredOption('--out <file.png>', 'output file; a batch writes out.png, out-1.png, …');
}

/** The request fields of those options (seed drawn here so it can be printed). */
export async function samplingRequest(o: SamplingCliOptions): Promise<Record<string, unknown>> {
  return {
    model: o.model ? resolve(o.model) : await defaultModelPath(),
    prompt: o.prompt,
    negativePrompt: o.negative,
    steps: Number(o.steps),
    ...(o.cfg !== undefined ? { cfg: Number(o.cfg) } : {}),
    seed: o.seed !== undefined ? Number(o.seed) : Math.floor(Math.random() * 2 ** 32),
    ...(o.width ? { width: Number(o.width) } : {}),
    ...(o.height ? { height: Number(o.height) } : {}),
    sampler: o.sampler,
    batchCount: Number(o.batch),
    ...(o.tome !== undefined ? { tokenMerging: tomeCliOptions(o) } : {}),
    ...ipAdapterRequest(o),
    ...(o.vae ? { vae: resolve(o.vae) } : {}),
    ...loraRequest(o),
  };
}

/** Output names for a batch: out.png, out-1.png, out-2.png … */
function outputPath(out: string, index: number): string {
  return index === 0 ? out : out.replace(/(\.[a-z]+)?$/i, (ext) => `-${index}${ext || '.png'}`);
}

/**
 * Starts a job through the same validated boundary the UI uses, shows a progress bar, and
 * exports every image with its recipe.
 */
export async function runJobToFiles(
  studio: StudioContext,
  handlers: Handlers,
  op: 'jobs.generate' | 'jobs.img2img' | 'jobs.inpaint' | 'jobs.edit' | 'jobs.stylize',
  request: Record<string, unknown>,
  out: string,
): Promise<void> {
  const { dispatch } = await import('../api/dispatch.ts');
  studio.queue.onEvent(progressPrinter());
  const started = await dispatch(handlers, op, request);
  if (!started.ok) throw new StudioError(started.error.code, started.error.message);
  const summary = await studio.queue.waitFor((started.result as { jobId: string }).jobId);
  if (summary.state !== 'done') {
    throw new StudioError(summary.error?.code ?? 'CANCELLED', summary.error?.message ?? 'Job did not finish');
  }
  for (const [i, img] of summary.images.entries()) {
    const written = await handlers['images.export']({ image: { imageId: img.imageId }, path: resolve(outputPath(out, i)), format: 'png', quality: 92, overwrite: true });
    process.stdout.write(`${written.path}${img.seed !== undefined ? `  seed ${img.seed}` : ''}\n`);
  }
}
