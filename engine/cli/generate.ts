import { type Command, Option } from 'commander';
import { resolve } from 'node:path';
import { StudioError } from '../api/errors.ts';
import { SAMPLERS } from '../api/schemas.ts';
import { defaultModelPath } from '../catalog/defaultModel.ts';
import { createHandlers } from '../studio/handlers.ts';
import { createStudio } from '../studio/create.ts';
import { progressPrinter } from './progress.ts';

interface GenerateOptions {
  model?: string;
  prompt: string;
  negative: string;
  steps: string;
  cfg: string;
  seed?: string;
  width: string;
  height: string;
  sampler: (typeof SAMPLERS)[number];
  batch: string;
  out: string;
  tome?: string;
}

/** Output names for a batch: out.png, out-1.png, out-2.png … */
function outputPath(out: string, index: number): string {
  return index === 0 ? out : out.replace(/(\.[a-z]+)?$/i, (ext) => `-${index}${ext || '.png'}`);
}

export function registerGenerateCommand(program: Command): void {
  program
    .command('generate')
    .description('Text to image: write one PNG (with its recipe in the `parameters` chunk) per image')
    .option('--model <file|folder>', 'checkpoint (default: the bundled model)')
    .requiredOption('--prompt <text>', 'what to draw')
    .option('--negative <text>', 'what to avoid', '')
    .option('--steps <n>', 'sampling steps', '25')
    .option('--cfg <f>', 'classifier-free guidance scale', '7.5')
    .option('--seed <n>', 'seed (default: random, printed)')
    .option('--width <px>', 'width in pixels', '512')
    .option('--height <px>', 'height in pixels', '512')
    .addOption(new Option('--sampler <name>', 'sampler').choices([...SAMPLERS]).default('ddim'))
    .option('--batch <n>', 'number of images, seeds counting up', '1')
    .option('--tome <ratio>', 'token merging ratio (0 = off)')
    .requiredOption('--out <file.png>', 'output file')
    .action(async (o: GenerateOptions) => {
      const studio = createStudio();
      const handlers = createHandlers(studio);
      const model = o.model ? resolve(o.model) : await defaultModelPath();
      const seed = o.seed !== undefined ? Number(o.seed) : Math.floor(Math.random() * 2 ** 32);
      studio.queue.onEvent(progressPrinter());
      const { jobId } = await handlers['jobs.generate']({
        model,
        prompt: o.prompt,
        negativePrompt: o.negative,
        steps: Number(o.steps),
        cfg: Number(o.cfg),
        seed,
        width: Number(o.width),
        height: Number(o.height),
        sampler: o.sampler,
        batchCount: Number(o.batch),
        ...(o.tome ? { tokenMerging: { ratio: Number(o.tome), sx: 2, sy: 2, useRand: true, seed: 0, maxDownsample: 1 } } : {}),
      } as Parameters<(typeof handlers)['jobs.generate']>[0]);
      const summary = await studio.queue.waitFor(jobId);
      if (summary.state !== 'done') {
        throw new StudioError(summary.error?.code ?? 'CANCELLED', summary.error?.message ?? 'Job did not finish');
      }
      for (const [i, img] of summary.images.entries()) {
        const written = await handlers['images.export']({ image: { imageId: img.imageId }, path: resolve(outputPath(o.out, i)), format: 'png', quality: 92, overwrite: true });
        process.stdout.write(`${written.path}  seed ${img.seed ?? seed}\n`);
      }
    });
}
