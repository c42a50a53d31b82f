import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SessionCache } from '../../../engine/graph/session.ts';
import { loadTextEncoder } from '../../../engine/models/clip/index.ts';
import { detectModel } from '../../../engine/models/detect.ts';
import type { StableDiffusionSpec } from '../../../engine/models/spec.ts';
import { tokenizerFor } from '../../../engine/tokenizer/forModel.ts';
import { hasShared, sharedPath } from '../../support/shared.ts';
import { maxAbsDiff } from './reference.ts';

const tiny = (...p: string[]) => sharedPath('golden', 'sd15-tiny', ...p);
const cache = new SessionCache({ intraOpNumThreads: 1 });
afterAll(() => cache.clear());

describe.skipIf(!hasShared('golden', 'sd15-tiny'))('A1111 prompt syntax reaches the text encoder', () => {
  it('weight 1 is the plain prompt, a weight scales its token and keeps the chunk mean, tags and BREAK shape the windows', async () => {
    const spec = (await detectModel(tiny('sd15-tiny.f32.safetensors'), { configPath: tiny('config.json') })) as StableDiffusionSpec;
    const enc = await loadTextEncoder(spec, { cache, threads: 1, placement: { cacheDir: join(mkdtempSync(join(tmpdir(), 'ls-syntax-')), 'graphs') } });
    const tok = await tokenizerFor({ family: 'sd1' });
    const plain = await enc.encodePrompt('a cat on a mat', tok);
    expect(maxAbsDiff((await enc.encodePrompt('a (cat:1.0) on a mat <lora:x:0.5>', tok)).data, plain.data)).toBe(0);
    const weighted = await enc.encodePrompt('a (cat:1.5) on a mat', tok);
    const mean = (d: Float32Array) => d.reduce((a, b) => a + b, 0) / d.length;
    expect(mean(weighted.data)).toBeCloseTo(mean(plain.data), 5);
    expect(maxAbsDiff(weighted.data, plain.data)).toBeGreaterThan(1e-3);
    const H = enc.hiddenSize;
    // Token 2 ("cat") is 1.5× its plain state up to the chunk's mean-preserving factor, which is the same for every token.
    const k = weighted.data[H] / plain.data[H];
    expect(weighted.data[2 * H + 5] / plain.data[2 * H + 5]).toBeCloseTo(1.5 * k, 4);
    const broken = await enc.encodePrompt('a cat BREAK on a mat', tok);
    expect(broken.dims).toEqual([1, 154, H]);
  });
});
