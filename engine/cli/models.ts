import type { Command } from 'commander';
import { resolve } from 'node:path';
import type { ModelEntry } from '../api/schemas.ts';
import { createHandlers } from '../studio/handlers.ts';
import { createCommandLineStudio } from '../studio/create.ts';

function formatSize(bytes: number): string {
  return bytes >= 1e9 ? `${(bytes / 1e9).toFixed(2)} GB` : `${(bytes / 1e6).toFixed(1)} MB`;
}

function formatRow(m: ModelEntry): string {
  const what = m.architecture ? m.architecture.summary : `cannot load: [${m.error?.code}] ${m.error?.message}`;
  return `${m.name.padEnd(28)} ${formatSize(m.sizeBytes).padStart(9)}  ${what}\n    ${m.path}`;
}

export function registerModelsCommand(program: Command): void {
  program
    .command('models')
    .description('List the models in a folder with their detected architecture')
    .argument('[dir]', 'models folder (default: the settings’ models folder, initially the bundled models)')
    .option('--json', 'print JSON instead of a table')
    .action(async (dir: string | undefined, opts: { json?: boolean }) => {
      const handlers = createHandlers(createCommandLineStudio());
      const { dir: folder, models } = await handlers['models.list']({ dir: dir ? resolve(dir) : undefined });
      if (opts.json) {
        process.stdout.write(`${JSON.stringify({ dir: folder, models }, null, 2)}\n`);
        return;
      }
      process.stdout.write(`${models.length} model(s) in ${folder}\n`);
      for (const m of models) process.stdout.write(`${formatRow(m)}\n`);
    });
}
