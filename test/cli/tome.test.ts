import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { main } from '../../engine/cli/main.ts';
import { readPngText } from '../../engine/export/pngText.ts';
import { captureOutput } from '../support/captureOutput.ts';
import { hasShared, sharedPath } from '../support/shared.ts';

const model = sharedPath('golden', 'sd15-tiny', 'sd15-tiny.f32.safetensors');

describe.skipIf(!hasShared('golden', 'sd15-tiny'))('token merging from the CLI (sd15-tiny)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ls-tome-'));
  const generate = (out: string, ...extra: string[]) => captureOutput(() => main([
    'node', 'latent-studio', 'generate', '--model', model, '--prompt', 'a red circle', '--steps', '3', '--cfg', '5', '--seed', '4',
    '--width', '64', '--height', '64', '--out', join(dir, out), ...extra,
  ]));
  const pixels = async (f: string) => sharp(join(dir, f)).raw().toBuffer();

  it('--tome 0 is merging off; --tome 0.5 merges, is reproducible and is recorded in parameters', async () => {
    for (const [out, extra] of [['off.png', []], ['zero.png', ['--tome', '0']], ['half.png', ['--tome', '0.5', '--tome-seed', '3']], ['half2.png', ['--tome', '0.5', '--tome-seed', '3']]] as const) {
      const r = await generate(out, ...extra);
      expect(r.code, r.err).toBe(0);
    }
    expect((await pixels('zero.png')).equals(await pixels('off.png'))).toBe(true);
    expect((await pixels('half.png')).equals(await pixels('half2.png'))).toBe(true);
    expect((await pixels('half.png')).equals(await pixels('off.png'))).toBe(false);
    expect(readPngText(readFileSync(join(dir, 'half.png'))).parameters).toMatch(/, Token merging ratio: 0\.5(,|$)/);
    expect(readPngText(readFileSync(join(dir, 'off.png'))).parameters).not.toMatch(/Token merging/);
  });

  it('refuses impossible settings with a typed error', async () => {
    const r = await generate('bad.png', '--tome', '0.7', '--tome-sx', '1', '--tome-sy', '2');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/error \[INVALID_REQUEST\].*Token merging/);
  });
});
