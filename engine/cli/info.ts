import type { Command } from 'commander';
import { resolve } from 'node:path';
import { StudioError } from '../api/errors.ts';
import { readEmbeddedRecipe } from '../export/readRecipe.ts';
import { parseParameters } from '../pipelines/parameters.ts';
import { infotextNetworks } from '../lora/infotext.ts';

export function registerInfoCommand(program: Command): void {
  program
    .command('info')
    .description('Print the recipe stored in an exported image (PNG, JPEG or WebP; ours or AUTOMATIC1111\'s)')
    .argument('<image>', 'image file')
    .option('--json', 'print the parsed recipe and the exact request as JSON')
    .action(async (image: string, opts: { json?: boolean }) => {
      const found = await readEmbeddedRecipe(resolve(image));
      if (!found.parameters && !found.recipe) throw new StudioError('NOT_FOUND', `${image} carries no recipe`);
      if (opts.json) {
        const parsed = found.parameters ? parseParameters(found.parameters) : null;
        const networks = parsed ? infotextNetworks(parsed) : null;
        process.stdout.write(`${JSON.stringify({ parameters: found.parameters, parsed, ...networks, recipe: found.recipe }, null, 2)}\n`);
        return;
      }
      if (found.parameters) process.stdout.write(`${found.parameters}\n`);
      const parsed = found.parameters ? parseParameters(found.parameters) : null;
      for (const l of parsed ? infotextNetworks(parsed).loras : []) process.stdout.write(`LoRA ${l.name} ×${l.multiplier}${l.hash ? ` (hash ${l.hash})` : ''}\n`);
      if (found.recipe) process.stdout.write(`\nRecipe (${found.recipe.operation}):\n${JSON.stringify(found.recipe.request, null, 2)}\n`);
    });
}
