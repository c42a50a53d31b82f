import type { Command } from 'commander';
import { resolve } from 'node:path';
import { createHandlers } from '../studio/handlers.ts';
import { createCommandLineStudio } from '../studio/create.ts';
import { addSamplingOptions, runJobToFiles, samplingRequest, type SamplingCliOptions } from './samplingOptions.ts';

export function registerGenerateCommands(program: Command): void {
  addSamplingOptions(program.command('generate').description('Text to image: one PNG per image, with its recipe in the `parameters` chunk'), 'model')
    .action(async (o: SamplingCliOptions) => {
      const studio = createCommandLineStudio();
      await runJobToFiles(studio, createHandlers(studio), 'jobs.generate', await samplingRequest(o), o.out);
    });

  addSamplingOptions(program.command('img2img').description('Image to image: redraw an image under a prompt; strength says how far it may move'), 'image')
    .requiredOption('--image <file>', 'input image')
    .option('--strength <f>', 'fraction of the schedule to re-run (0 keeps the image, 1 ignores it)', '0.6')
    .action(async (o: SamplingCliOptions & { image: string; strength: string }) => {
      const studio = createCommandLineStudio();
      const request = { ...(await samplingRequest(o)), image: { path: resolve(o.image) }, strength: Number(o.strength) };
      await runJobToFiles(studio, createHandlers(studio), 'jobs.img2img', request, o.out);
    });

  addSamplingOptions(program.command('inpaint').description('Regenerate the painted region of an image; pixels outside the mask stay exactly as they were'), 'image')
    .requiredOption('--image <file>', 'input image')
    .requiredOption('--mask <file>', 'mask: white (or opaque) where the image may change')
    .option('--strength <f>', 'fraction of the schedule to re-run inside the mask', '1')
    .option('--feather <px>', 'soften the mask edge inward by this many pixels', '8')
    .option('--tome-exclude-masked', 'token merging: tokens under the mask are never merged')
    .action(async (o: SamplingCliOptions & { image: string; mask: string; strength: string; feather: string }) => {
      const studio = createCommandLineStudio();
      const request = {
        ...(await samplingRequest(o)),
        image: { path: resolve(o.image) },
        mask: { path: resolve(o.mask) },
        strength: Number(o.strength),
        maskFeather: Number(o.feather),
      };
      await runJobToFiles(studio, createHandlers(studio), 'jobs.inpaint', request, o.out);
    });
}
