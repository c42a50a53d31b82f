import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { main } from '../../engine/cli/main.ts';
import { addPngText, readPngText } from '../../engine/export/pngText.ts';
import { findLora } from '../../engine/lora/library.ts';
import { captureOutput } from '../support/captureOutput.ts';
import { hasShared, sharedPath } from '../support/shared.ts';

const model = sharedPath('golden', 'sd15-tiny', 'sd15-tiny.f32.safetensors');
const locon = sharedPath('golden', 'lora-sd15', 'sd15-tiny.locon.safetensors');
/** A1111's LoRA hash, computed here from its definition: SHA-256 of the bytes after the safetensors header. */
const addnetHash = (file: string) => {
  const b = readFileSync(file);
  const n = Number(b.readBigUInt64LE(0));
  return createHash('sha256').update(b.subarray(8 + n)).digest('hex').slice(0, 12);
};

describe.skipIf(!hasShared('golden', 'lora-sd15'))('LoRA on the command line, in the recipe and back through info', () => {
  it('generate --lora changes the image, records Lora hashes and the file, and info parses them back', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ls-lora-cli-'));
    const run = (out: string, ...extra: string[]) => captureOutput(() => main(['node', 'latent-studio', 'generate', '--model', model, '--prompt', 'a (cat:1.2) on a mat', '--steps', '2', '--seed', '5', '--width', '64', '--height', '64', '--out', join(dir, out), ...extra]));
    expect((await run('plain.png')).code).toBe(0);
    const r = await run('lora.png', '--lora', `${locon}:0.6`);
    expect(r.code, r.err).toBe(0);
    const pixels = async (f: string) => sharp(join(dir, f)).raw().toBuffer();
    expect((await pixels('plain.png')).equals(await pixels('lora.png'))).toBe(false);
    const text = readPngText(readFileSync(join(dir, 'lora.png')));
    expect(text.parameters).toContain(`Lora hashes: "sd15-tiny.locon: ${addnetHash(locon)}"`);
    const recipe = JSON.parse(text['latent-studio-recipe'] ?? '{}') as { loras?: Array<{ name: string; file: string; hash: string; scale: number }> };
    expect(recipe.loras).toEqual([{ name: 'sd15-tiny.locon', file: locon, hash: addnetHash(locon), scale: 0.6 }]);
    const info = await captureOutput(() => main(['node', 'latent-studio', 'info', '--json', join(dir, 'lora.png')]));
    expect((JSON.parse(info.out) as { loras: unknown }).loras).toEqual([{ name: 'sd15-tiny.locon', multiplier: 1, hash: addnetHash(locon) }]);
  });

  it('info reads an A1111 infotext with <lora:…> tags and Lora hashes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ls-lora-info-'));
    const parameters = 'a cat <lora:styleA:0.8> <lora:styleB>\nNegative prompt: blurry\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 1, Size: 64x64, Model hash: abcdef1234, Lora hashes: "styleA: 0123456789ab, styleB: ba9876543210", Version: v1.9.0';
    const png = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#000' } }).png().toBuffer();
    const file = join(dir, 'a1111.png');
    writeFileSync(file, addPngText(png, { parameters }));
    const info = await captureOutput(() => main(['node', 'latent-studio', 'info', '--json', file]));
    expect(info.code, info.err).toBe(0);
    expect((JSON.parse(info.out) as { loras: unknown }).loras).toEqual([
      { name: 'styleA', multiplier: 0.8, hash: '0123456789ab' },
      { name: 'styleB', multiplier: 1, hash: 'ba9876543210' },
    ]);
  });

  it('finds a LoRA by file stem or by its ss_output_name alias in the models folder', async () => {
    const models = mkdtempSync(join(tmpdir(), 'ls-lora-lib-'));
    mkdirSync(join(models, 'loras', 'styles'), { recursive: true });
    copyFileSync(locon, join(models, 'loras', 'styles', 'mine.safetensors'));
    expect(await findLora('mine', models)).toBe(join(models, 'loras', 'styles', 'mine.safetensors'));
    expect(await findLora('locon', models)).toBe(join(models, 'loras', 'styles', 'mine.safetensors')); // ss_output_name
    await expect(findLora('absent', models)).rejects.toThrow(/No LoRA named absent/);
  });

  it('debug unet / text-encoder --lora match the lora-sd15 goldens (branches, and merged)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ls-lora-debug-'));
    const base = (...p: string[]) => sharedPath('golden', 'sd15-tiny', ...p);
    const gold = (...p: string[]) => sharedPath('golden', 'lora-sd15', 'golden', 'locon', 'scale_0p6', ...p);
    const c = base('golden', 'unet_case2');
    const u = await captureOutput(() => main(['node', 'latent-studio', 'debug', 'unet', '--checkpoint', base('sd15-tiny.f32.safetensors'), '--config', base('config.json'),
      '--in', `x=${join(c, 'x.npy')}`, '--in', `t=${join(c, 't.npy')}`, '--in', `context=${join(c, 'context.npy')}`, '--lora', `${locon}:0.6`, '--out', join(dir, 'eps.npy')]));
    expect(u.code, u.err).toBe(0);
    const t = await captureOutput(() => main(['node', 'latent-studio', 'debug', 'text-encoder', '--checkpoint', base('sd15-tiny.f32.safetensors'), '--config', base('config.json'),
      '--in', `ids=${base('golden', 'text', 'input_ids.npy')}`, '--lora', `${locon}:0.6`, '--lora-merge', '--out', join(dir, 'text.npy')]));
    expect(t.code, t.err).toBe(0);
    const { readNpy, npyToFloat32 } = await import('../../engine/npy/npy.ts');
    const { maxAbsDiff } = await import('../graph/reference.ts');
    const read = async (f: string) => npyToFloat32(await readNpy(f));
    expect(maxAbsDiff(await read(join(dir, 'eps.npy')), await read(gold('unet_case2', 'eps.npy')))).toBeLessThan(1e-3);
    expect(maxAbsDiff(await read(join(dir, 'text.npy')), await read(gold('text', 'last_hidden_state.npy')))).toBeLessThan(1e-3);
  });
});
