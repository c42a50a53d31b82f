import type { Command } from 'commander';
import { resolve } from 'node:path';
import type { LoraEntry, ModelEntry } from '../api/schemas.ts';
import { createHandlers } from '../studio/handlers.ts';
import { createCommandLineStudio } from '../studio/create.ts';

function formatSize(bytes: number): string {
  return bytes >= 1e9 ? `${(bytes / 1e9).toFixed(2)} GB` : `${(bytes / 1e6).toFixed(1)} MB`;
}

function formatRow(m: ModelEntry): string {
  const what = m.architecture ? m.architecture.summary : `cannot load: [${m.error?.code}] ${m.error?.message}`;
  return `${m.name.padEnd(28)} ${formatSize(m.sizeBytes).padStart(9)}  ${what}\n    ${m.path}`;
}

function formatLora(l: LoraEntry): string {
  if (l.error) return `${l.name.padEnd(28)} cannot load: ${l.error}\n    ${l.path}`;
  const what = `${l.kinds.join('+')} (${l.format}), for ${l.familyLabel ?? 'an unrecorded base model'}, rank ${l.ranks.join('/')}, ${l.targets.unet} UNet + ${l.targets.text} text modules`;
  const words = l.triggerWords.length ? `\n    trigger words: ${l.triggerWords.join(', ')}` : '';
  return `${l.name.padEnd(28)} ${formatSize(l.sizeBytes).padStart(9)}  ${what}${l.outputName && l.outputName !== l.name ? ` (alias ${l.outputName})` : ''}${words}\n    ${l.path}`;
}

export function registerModelsCommand(program: Command): void {
  program
    .command('models')
    .description('List the models in a folder with their detected architecture')
    .argument('[dir]', 'models folder (default: the settings’ models folder, initially the bundled models)')
    .option('--json', 'print JSON instead of a table')
    .action(async (dir: string | undefined, opts: { json?: boolean }) => {
      const handlers = createHandlers(createCommandLineStudio());
      const { dir: folder, models, loras = [], embeddings = [] } = await handlers['models.list']({ dir: dir ? resolve(dir) : undefined });
      if (opts.json) {
        process.stdout.write(`${JSON.stringify({ dir: folder, models, loras, embeddings }, null, 2)}\n`);
        return;
      }
      process.stdout.write(`${models.length} model(s) in ${folder}\n`);
      for (const m of models) process.stdout.write(`${formatRow(m)}\n`);
      if (loras.length) process.stdout.write(`\n${loras.length} LoRA(s)\n`);
      for (const l of loras) process.stdout.write(`${formatLora(l)}\n`);
      if (embeddings.length) process.stdout.write(`\n${embeddings.length} embedding(s)\n`);
      for (const e of embeddings) process.stdout.write(`${e.name.padEnd(28)} ${e.error ? `cannot load: ${e.error}` : `${e.vectors} vector(s) × ${e.width}${e.family ? `, for ${e.family}` : ''}`}\n    ${e.path}\n`);
    });
}
