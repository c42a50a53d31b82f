import { Command, CommanderError } from 'commander';
import { toStudioError } from '../api/errors.ts';
import { registerBenchCommand } from './bench.ts';
import { registerDebugCommand } from './debug.ts';
import { registerEditCommands } from './edit.ts';
import { registerGenerateCommands } from './generate.ts';
import { registerEvalToyCommand } from './evalToy.ts';
import { registerInfoCommand } from './info.ts';
import { registerModelsCommand } from './models.ts';
import { registerServeCommand } from './serve.ts';
import { registerStylizeCommand } from './stylize.ts';

/** Builds the CLI; each command lives in its own module and registers itself here. */
export function buildProgram(): Command {
  const program = new Command()
    .name('latent-studio')
    .description('Latent Studio: edit images with latent diffusion models (CLI and local server)')
    .showHelpAfterError()
    .exitOverride();
  registerModelsCommand(program);
  registerServeCommand(program);
  registerGenerateCommands(program);
  registerEditCommands(program);
  registerStylizeCommand(program);
  registerInfoCommand(program);
  registerEvalToyCommand(program);
  registerDebugCommand(program);
  registerBenchCommand(program);
  return program;
}

/** Runs the CLI and returns the process exit code; errors print as `error [CODE]: message`. */
export async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode;
    const err = toStudioError(e);
    process.stderr.write(`error [${err.code}]: ${err.message}\n`);
    return 1;
  }
}
