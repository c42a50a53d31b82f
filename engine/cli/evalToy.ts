import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { defaultModelPath } from '../catalog/defaultModel.ts';
import { DEFAULT_CASES, evaluateToyModel, formatReport, SUITES, type SuiteName } from '../eval/toyWorld/evaluate.ts';
import { StudioRunner } from '../eval/toyWorld/studioRunner.ts';
import { createHandlers } from '../studio/handlers.ts';
import { createCommandLineStudio } from '../studio/create.ts';
import { StudioError } from '../api/errors.ts';
import { detectModel } from '../models/detect.ts';

/** The scale the model's config recommends, as every other command defaults to. */
async function recommendedGuidance(model: string): Promise<number> {
  const spec = await detectModel(model);
  if (spec.family === 'taesd') throw new StudioError('INVALID_REQUEST', `${model} is a TAESD decoder, not a text-to-image model`);
  return spec.guidanceScale;
}

interface EvalCliOptions {
  model?: string;
  suites: string;
  n: string;
  edits: string;
  steps: string;
  cfg?: string;
  sampler: 'ddim' | 'euler' | 'euler-a' | 'dpmpp-2m';
  out?: string;
  ipAdapter?: string;
  ipAdapterPlus?: string;
}

export function registerEvalToyCommand(program: Command): void {
  program
    .command('eval-toy')
    .description('Judge a toy-world model by pixels: prompt fidelity, prompt-to-prompt colour swaps (plain, local-blended, in a painted mask), inpainting, token merging, image prompts, style transfer')
    .option('--model <file>', 'toy-world checkpoint (default: the bundled model)')
    .option('--suites <list>', `comma-separated: ${SUITES.join(', ')}`, SUITES.join(','))
    .option('--n <count>', 'prompts in the fidelity suite', '100')
    .option('--edits <count>', 'cases in the swap, inpaint, token-merging, image-prompt and style suites', String(DEFAULT_CASES))
    .option('--ip-adapter <file>', 'IP-Adapter for the image-prompt suite (default: ip-adapter_toy.safetensors beside the model)')
    .option('--ip-adapter-plus <file>', 'plus (Resampler) IP-Adapter for the image-prompt-plus suite (default: ip-adapter-plus_toy.safetensors beside the model)')
    .option('--steps <n>', 'sampling steps', '20')
    .option('--cfg <f>', 'guidance scale (default: the model\'s recommended scale)')
    .addOption(new Option('--sampler <name>', 'sampler').choices(['ddim', 'euler', 'euler-a', 'dpmpp-2m']).default('ddim'))
    .option('--out <file.json>', 'write the full report (with failures) as JSON')
    .action(async (o: EvalCliOptions) => {
      const suites = o.suites.split(',').map((s) => s.trim()) as SuiteName[];
      const unknown = suites.filter((s) => !SUITES.includes(s));
      if (unknown.length) throw new StudioError('INVALID_REQUEST', `Unknown suite ${unknown.join(', ')}; choose from ${SUITES.join(', ')}`);
      const studio = createCommandLineStudio();
      const edits = Number(o.edits);
      const model = o.model ? resolve(o.model) : await defaultModelPath();
      const report = await evaluateToyModel(new StudioRunner(studio, createHandlers(studio)), {
        model,
        steps: Number(o.steps),
        cfg: o.cfg !== undefined ? Number(o.cfg) : await recommendedGuidance(model),
        sampler: o.sampler,
        suites,
        counts: { fidelity: Number(o.n), 'p2p-swap': edits, 'p2p-swap-blend': edits, 'p2p-swap-mask': edits, inpaint: edits, tome: edits, 'image-prompt': edits, 'image-prompt-plus': edits, style: edits },
        ...(o.ipAdapter ? { ipAdapter: resolve(o.ipAdapter) } : {}),
        ...(o.ipAdapterPlus ? { ipAdapterPlus: resolve(o.ipAdapterPlus) } : {}),
        onCase: (suite, done, total) => process.stderr.write(`\r${suite} ${done}/${total}   `),
      });
      process.stderr.write('\n');
      process.stdout.write(`${formatReport(report)}\n`);
      if (o.out) {
        await writeFile(resolve(o.out), `${JSON.stringify(report, null, 2)}\n`);
        process.stdout.write(`report written to ${resolve(o.out)}\n`);
      }
    });
}
