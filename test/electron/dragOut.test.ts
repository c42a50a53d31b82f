import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { readEmbeddedRecipe } from '../../engine/export/readRecipe.ts';
import { DragOutFolder } from '../../electron/dragOut.ts';

const png = await sharp({ create: { width: 4, height: 4, channels: 3, background: '#f00' } }).png().toBuffer();
const image = { png, parameters: 'a red square\nSteps: 2, Seed: 1', recipe: { format: 'latent-studio-recipe', version: 1, operation: 'jobs.generate', request: { prompt: 'a red square' } } };

describe('dragging a result out of the window', () => {
  it('writes into a fresh private folder, not a shared fixed one where another user can plant a symlink', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'ls-drag-'));
    // What another local user could prepare under the old fixed name.
    const victim = join(parent, 'victim.txt');
    writeFileSync(victim, 'keep me');
    mkdirSync(join(parent, 'latent-studio-drag'), { mode: 0o777 });
    symlinkSync(victim, join(parent, 'latent-studio-drag', 'latent-studio-abcdef12.png'));

    const folder = new DragOutFolder(parent);
    const file = folder.write('abcdef12-3456', image);
    expect(dirname(file)).not.toBe(join(parent, 'latent-studio-drag'));
    expect(readFileSync(victim, 'utf8')).toBe('keep me');
    expect(statSync(dirname(file)).mode & 0o777).toBe(0o700);
    expect(lstatSync(file).isFile()).toBe(true);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    // The file carries the recipe, as an export would.
    expect((await readEmbeddedRecipe(file)).recipe).toMatchObject({ operation: 'jobs.generate' });

    // Two launches never share a folder; quitting removes what was dragged.
    const other = new DragOutFolder(parent).write('abcdef12-3456', image);
    expect(dirname(other)).not.toBe(dirname(file));
    folder.dispose();
    expect(existsSync(dirname(file))).toBe(false);
    expect(existsSync(other)).toBe(true);
  });
});
