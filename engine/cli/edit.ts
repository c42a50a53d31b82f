import { addLoraOptions, loraRequest, type LoraCliOptions } from './loraOptions.ts';
import { type Command, Option } from 'commander';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { StudioError } from '../api/errors.ts';
import { SAMPLERS } from '../api/schemas.ts';
import { defaultModelPath } from '../catalog/defaultModel.ts';
import { parseWordWeight } from '../controllers/p2p/promptWeights.ts';
import { attentionMaps, mapToPng } from '../pipelines/attentionMaps.ts';
import { createHandlers } from '../studio/handlers.ts';
import { createCommandLineStudio } from '../studio/create.ts';
import { runJobToFiles } from './samplingOptions.ts';
import { addIpAdapterOptions, ipAdapterRequest, type IpAdapterCliOptions } from './ipAdapterOptions.ts';

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

interface EditCliOptions {
  model?: string;
  from: string;
  to: string;
  negative: string;
  seed?: string;
  image?: string;
  mask?: string;
  reweight?: string[];
  local?: string[];
  localThreshold: string;
  crossWord?: string[];
  crossSteps: string;
  selfSteps: string;
  mode: 'auto' | 'replace' | 'refine';
  steps: string;
  cfg?: string;
  sampler: (typeof SAMPLERS)[number];
  width?: string;
  height?: string;
  batch: string;
  out: string;
}

const pairs = (specs: string[] | undefined): Record<string, number> =>
  Object.fromEntries((specs ?? []).map(parseWordWeight).map((w) => [w.word, w.weight]));

/** `edit` and `attention`: prompt-to-prompt editing and the per-word attention maps behind it. */
export function registerEditCommands(program: Command): void {
  // Image-prompt flags are accepted so the job can refuse them with its reason (see prepareEdit).
  addLoraOptions(addIpAdapterOptions(program.command('edit')))
    .description('Prompt-to-prompt edit: change words of a prompt and keep the rest of the image (a seed, or a photo inverted first)')
    .option('--model <file|folder>', 'checkpoint (default: the bundled model)')
    .requiredOption('--from <text>', 'source prompt: what the image shows')
    .requiredOption('--to <text>', 'edited prompt; (word:1.5) reweights a word')
    .option('--negative <text>', 'negative prompt', '')
    .option('--seed <n>', 'generate the source image from this seed')
    .option('--image <file>', 'edit this photo (DDIM-inverted under the source prompt)')
    .option('--reweight <word=F>', 'scale attention to a word of the edited prompt (repeatable)', collect)
    .option('--local <word>', 'confine the edit to where this word attends (repeatable)', collect)
    .option('--local-threshold <f>', "share of a --local word's peak attention that is inside the region", '0.3')
    .option('--mask <file>', 'confine the edit to the painted region (white = may change)')
    .option('--cross-steps <f>', 'fraction of steps the edited prompt follows the source cross-attention', '0.8')
    .option('--cross-word <word=F>', 'per-word cross-steps override (repeatable)', collect)
    .option('--self-steps <f>', 'fraction of steps the self-attention follows the source', '0.4')
    .addOption(new Option('--mode <mode>', 'word swap, refinement, or auto').choices(['auto', 'replace', 'refine']).default('auto'))
    .option('--steps <n>', 'sampling steps', '50')
    .option('--cfg <f>', 'classifier-free guidance scale (default: the model\'s recommended scale, else 7.5)')
    .addOption(new Option('--sampler <name>', 'sampler (photos need ddim)').choices([...SAMPLERS]).default('ddim'))
    .option('--width <px>', "width (default: the photo's, else the model's training size)")
    .option('--height <px>', "height (default: the photo's, else the model's training size)")
    .option('--batch <n>', 'images from consecutive seeds', '1')
    .requiredOption('--out <file.png>', 'output file')
    .action(async (o: EditCliOptions & IpAdapterCliOptions & LoraCliOptions) => {
      if ((o.seed === undefined) === (o.image === undefined)) {
        throw new StudioError('INVALID_REQUEST', 'Give either --seed (edit a generated image) or --image (edit a photo)');
      }
      const request: Record<string, unknown> = {
        model: o.model ? resolve(o.model) : await defaultModelPath(),
        sourcePrompt: o.from,
        targetPrompt: o.to,
        negativePrompt: o.negative,
        ...(o.seed !== undefined ? { seed: Number(o.seed) } : {}),
        ...(o.image ? { image: { path: resolve(o.image) } } : {}),
        ...(o.mask ? { mask: { path: resolve(o.mask) } } : {}),
        wordWeights: pairs(o.reweight),
        localBlendWords: o.local ?? [],
        localBlendThreshold: Number(o.localThreshold),
        crossReplaceSteps: Number(o.crossSteps),
        crossReplaceWords: pairs(o.crossWord),
        selfReplaceSteps: Number(o.selfSteps),
        editMode: o.mode,
        steps: Number(o.steps),
        ...(o.cfg !== undefined ? { cfg: Number(o.cfg) } : {}),
        sampler: o.sampler,
        ...(o.width ? { width: Number(o.width) } : {}),
        ...(o.height ? { height: Number(o.height) } : {}),
        batchCount: Number(o.batch),
        ...ipAdapterRequest(o),
        ...loraRequest(o),
      };
      const studio = createCommandLineStudio();
      await runJobToFiles(studio, createHandlers(studio), 'jobs.edit', request, o.out);
    });

  program
    .command('attention')
    .description("Generate an image and write each prompt word's cross-attention map (heads, layers and steps averaged) as a PNG")
    .option('--model <file|folder>', 'checkpoint (default: the bundled model)')
    .requiredOption('--prompt <text>', 'prompt')
    .option('--negative <text>', 'negative prompt', '')
    .requiredOption('--seed <n>', 'seed')
    .option('--steps <n>', 'sampling steps', '25')
    .option('--cfg <f>', 'classifier-free guidance scale (default: the model\'s recommended scale, else 7.5)')
    .option('--width <px>', "width (default: the model's training size)")
    .option('--height <px>', "height (default: the model's training size)")
    .option('--resolution <k>', 'maps of the layers at latent/k', '4')
    .requiredOption('--out-dir <dir>', 'folder for image.png and one NN-word.png per word')
    .action(async (o: { model?: string; prompt: string; negative: string; seed: string; steps: string; cfg?: string; width?: string; height?: string; resolution: string; outDir: string }) => {
      const r = await attentionMaps({
        model: o.model ? resolve(o.model) : await defaultModelPath(),
        prompt: o.prompt,
        negativePrompt: o.negative,
        seed: Number(o.seed),
        steps: Number(o.steps),
        ...(o.cfg !== undefined ? { cfg: Number(o.cfg) } : {}),
        ...(o.width ? { width: Number(o.width) } : {}),
        ...(o.height ? { height: Number(o.height) } : {}),
        resolution: Number(o.resolution),
      });
      const dir = resolve(o.outDir);
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, 'image.png'), r.png);
      process.stdout.write(`${join(dir, 'image.png')}\n`);
      for (const [i, w] of r.words.entries()) {
        const file = join(dir, `${String(i).padStart(2, '0')}-${w.word.replace(/[^\p{L}\p{N}_-]+/gu, '_') || 'word'}.png`);
        await writeFile(file, await mapToPng(w.map, r.grid, r.width, r.height));
        process.stdout.write(`${file}  ${w.word}\n`);
      }
    });
}
