import type { Command } from 'commander';
import { resolve } from 'node:path';
import { defaultModelPath } from '../catalog/defaultModel.ts';
import { STYLE_INJECTION_DEFAULTS } from '../controllers/styleInjection/options.ts';
import { lastStylizeMemory } from '../pipelines/stylize.ts';
import { createHandlers } from '../studio/handlers.ts';
import { createCommandLineStudio } from '../studio/create.ts';
import { runJobToFiles } from './samplingOptions.ts';

interface StylizeCliOptions {
  model?: string;
  content: string;
  style: string;
  gamma: string;
  temperature: string;
  steps: string;
  layers?: string;
  adain: boolean;
  mask?: string;
  maskFeather: string;
  width?: string;
  height?: string;
  out: string;
}

const mb = (bytes: number) => (bytes < 2 ** 20 ? `${(bytes / 2 ** 10).toFixed(1)} KiB` : `${(bytes / 2 ** 20).toFixed(1)} MiB`);

/** `stylize`: StyleID style injection (ALGORITHMS §4). */
export function registerStylizeCommand(program: Command): void {
  program
    .command('stylize')
    .description('Style transfer without training (StyleID): the content image redrawn with the style image\'s textures and colours')
    .option('--model <file|folder>', 'checkpoint (default: the bundled model)')
    .requiredOption('--content <file>', 'image whose layout is kept')
    .requiredOption('--style <file>', 'image whose style is injected')
    .option('--gamma <f>', 'query preservation γ, 0–1 (lower = stronger style; the paper suggests 0.3 for high style fidelity)', String(STYLE_INJECTION_DEFAULTS.gamma))
    .option('--temperature <f>', 'attention temperature T', String(STYLE_INJECTION_DEFAULTS.temperature))
    .option('--steps <n>', 'DDIM inversion and sampling steps', '50')
    .option('--layers <list>', `decoder blocks (LDM output blocks) whose self-attention takes the style K/V (default: the two finest decoder levels with attention; ${STYLE_INJECTION_DEFAULTS.layers.join(',')} on SD)`)
    .option('--no-adain', 'start from the inverted content latent instead of its AdaIN with the style')
    .option('--mask <file>', 'stylise only the painted region (white = may change)')
    .option('--mask-feather <px>', 'feather of the mask edge', '8')
    .option('--width <px>', "width (default: the content image's)")
    .option('--height <px>', "height (default: the content image's)")
    .requiredOption('--out <file.png>', 'output file')
    .action(async (o: StylizeCliOptions) => {
      const request: Record<string, unknown> = {
        model: o.model ? resolve(o.model) : await defaultModelPath(),
        content: { path: resolve(o.content) },
        style: { path: resolve(o.style) },
        gamma: Number(o.gamma),
        temperature: Number(o.temperature),
        steps: Number(o.steps),
        layers: o.layers?.split(',').filter(Boolean).map(Number),
        adain: o.adain,
        ...(o.mask ? { mask: { path: resolve(o.mask) }, maskFeather: Number(o.maskFeather) } : {}),
        ...(o.width ? { width: Number(o.width) } : {}),
        ...(o.height ? { height: Number(o.height) } : {}),
      };
      const studio = createCommandLineStudio();
      await runJobToFiles(studio, createHandlers(studio), 'jobs.stylize', request, o.out);
      const m = lastStylizeMemory();
      if (m) process.stdout.write(`kept ${mb(m.cachedLatentsBytes)} of inversion latents (a per-step feature cache would hold ${mb(m.featureCacheBytes)})\n`);
    });
}
