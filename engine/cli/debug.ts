import type { Command } from 'commander';
import { resolve } from 'node:path';
import { StudioError } from '../api/errors.ts';
import { readNpy, writeNpy, type NpyArray } from '../npy/npy.ts';
import { unetDebugModule } from '../models/unet/debug.ts';
import { textEncoderDebugModule } from '../models/clip/debug.ts';
import { addLoraOptions, loraUses, type LoraCliOptions } from './loraOptions.ts';
import { assertFinite } from '../graph/finite.ts';
import { DEBUG_MODULES, type DebugModuleName } from './debugModules.ts';
import { registerTokenizeCommand } from './debugTokenize.ts';
import { addTomeOptions, tomeCliOptions, type TomeCliOptions } from './tomeOptions.ts';

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function parseInputs(pairs: string[]): Map<string, string> {
  const inputs = new Map<string, string>();
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq < 1) throw new StudioError('INVALID_REQUEST', `--in expects name=file.npy, got ${JSON.stringify(pair)}`);
    inputs.set(pair.slice(0, eq), resolve(pair.slice(eq + 1)));
  }
  return inputs;
}

export function registerDebugCommand(program: Command): void {
  const debug = program
    .command('debug')
    .description(`Run one network module or the tokenizer on given inputs: the door for parity checks on any checkpoint. Modules: tokenize, ${Object.keys(DEBUG_MODULES).join(', ')}`);

  registerTokenizeCommand(debug);

  for (const [name, mod] of Object.entries(DEBUG_MODULES)) {
    const cmd = debug.command(name);
    if (name === 'unet') addTomeOptions(cmd);
    if (name === 'unet' || name === 'text-encoder') addLoraOptions(cmd);
    cmd
      .description(`${mod.description}. Inputs: ${mod.inputs.map((i) => `${i.name} (${i.meaning})`).join(', ')}`)
      .requiredOption('--checkpoint <path>', 'checkpoint file or diffusers folder')
      .option('--config <file>', 'config file for what shapes cannot tell (heads, prediction)')
      .option('--in <name=file.npy>', 'an input array (repeatable)', collect, [])
      .requiredOption('--out <file.npy>', 'where to write the output array')
      .option('--repeat <n>', 'run N more evaluations after the first and print the median seconds of one', '0')
      .action(async (opts: { checkpoint: string; config?: string; in: string[]; out: string; repeat: string } & TomeCliOptions & LoraCliOptions) => {
        const files = parseInputs(opts.in);
        const inputs = new Map<string, NpyArray>();
        for (const spec of mod.inputs) {
          const file = files.get(spec.name);
          if (!file) throw new StudioError('INVALID_REQUEST', `debug ${name} needs --in ${spec.name}=<file.npy> (${spec.meaning})`);
          inputs.set(spec.name, await readNpy(file));
        }
        const unknown = [...files.keys()].filter((k) => !mod.inputs.some((i) => i.name === k));
        if (unknown.length) throw new StudioError('INVALID_REQUEST', `debug ${name} has no input ${unknown.join(', ')}`);
        const { excludeMasked: _noMask, ...tokenMerging } = tomeCliOptions(opts) ?? { ratio: 0 };
        const config = opts.config ? resolve(opts.config) : undefined;
        // Only the UNet merges tokens; --tome on it times one evaluation with merging (ratio 0 = the plain graph).
        const loras = loraUses(opts);
        const run = name === 'unet' ? await unetDebugModule.load(resolve(opts.checkpoint), config, { tokenMerging, loras, loraMode: opts.loraMerge ? 'merge' : undefined })
          : name === 'text-encoder' ? await textEncoderDebugModule.load(resolve(opts.checkpoint), config, {}, loras, opts.loraMerge ? 'merge' : undefined)
            : await mod.load(resolve(opts.checkpoint), config);
        const output = await run(inputs);
        assertFinite(output.data, name === 'unet' ? 'UNet' : 'text encoder');
        const repeat = Number(opts.repeat);
        if (repeat > 0) {
          const times: number[] = [];
          for (let i = 0; i < repeat; i++) {
            const t0 = performance.now();
            await run(inputs);
            times.push((performance.now() - t0) / 1000);
          }
          times.sort((a, b) => a - b);
          process.stdout.write(`median ${times[Math.floor(times.length / 2)].toFixed(4)} s over ${repeat} evaluations\n`);
        }
        await writeNpy(resolve(opts.out), output);
        process.stdout.write(`wrote ${opts.out} [${output.shape.join(', ')}] ${output.dtype}\n`);
      });
  }
}

export type { DebugModuleName };
