import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SessionCache } from '../../../engine/graph/session.ts';
import { loadPixArt, openPixArt, pixartNullCaption, type PixArtRunner } from '../../../engine/models/pixart/index.ts';
import { maxAbsDiff } from '../../graph/reference.ts';
import { hasShared } from '../../support/shared.ts';
import { ditCase, ref, runCase, tiny } from './cases.ts';

const CASES = ['dit_case1', 'dit_case2', 'dit_case3', 'dit_case4', 'dit_null_caption'] as const;
const LAYOUTS = {
  'original F32': 'pixart-tiny.f32.safetensors',
  'diffusers F32': 'transformer',
  'original F16': 'pixart-tiny.f16.safetensors',
} as const;
let dir: string;
const cache = new SessionCache({ intraOpNumThreads: 1 });
const runtime = () => ({ threads: 1, placement: { cacheDir: join(dir, 'graphs') } });

/** `f16` takes the null caption as the F16 file holds it (its y_embedding rounded), as its golden does. */
async function output(dit: PixArtRunner, name: string, f16 = false): Promise<Float32Array> {
  const own = f16 && name === 'dit_null_caption' ? tiny('golden', 'from_f16_weights', name) : undefined;
  return (await runCase(dit, await ditCase(name, own))).output;
}

describe.skipIf(!hasShared('golden', 'pixart-tiny'))('PixArt transformer golden parity (pixart-tiny)', () => {
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pixart-golden-'));
  });
  afterAll(async () => {
    await cache.clear();
    await rm(dir, { recursive: true, force: true });
  });

  for (const [label, file] of Object.entries(LAYOUTS)) {
    const f16 = label.endsWith('F16');
    it(`${label}: every case within ${f16 ? '1e-3 of the F16-weights golden and 2e-2' : '1e-3'} of diffusers`, async () => {
      const spec = await openPixArt(tiny(file));
      expect(spec.layout).toBe(file === 'transformer' ? 'diffusers' : 'pixart-original');
      expect(spec.weightDType).toBe(f16 ? 'F16' : 'F32');
      const dit = await loadPixArt(spec, { runtime: runtime(), cache });
      for (const name of CASES) {
        const out = await output(dit, name, f16);
        const main = maxAbsDiff(out, await ref(name, 'output.npy'));
        if (f16) {
          const own = maxAbsDiff(out, await ref('from_f16_weights', name, 'output.npy'));
          console.info(`[pixart parity] ${label} ${name}: vs from_f16_weights ${own.toExponential(2)}, vs main ${main.toExponential(2)}`);
          expect(own).toBeLessThan(1e-3);
          expect(main).toBeLessThan(2e-2);
        } else {
          console.info(`[pixart parity] ${label} ${name}: max abs ${main.toExponential(2)}`);
          expect(main).toBeLessThan(1e-3);
        }
      }
    });
  }

  it('the caption mask matters: without it case 2 matches the diagnostic output, not the golden', async () => {
    const dit = await loadPixArt(await openPixArt(tiny('transformer')), { runtime: runtime(), cache });
    const c = await ditCase('dit_case2');
    const { output: out } = await runCase(dit, c, new Array<number>(c.mask.length).fill(1));
    expect(maxAbsDiff(out, await ref('dit_case2', 'diagnostic_no_encoder_mask_output.npy'))).toBeLessThan(1e-3);
    expect(maxAbsDiff(out, await ref('dit_case2', 'output.npy'))).toBeGreaterThan(1e-2);
  });

  it('intermediates of case 1 (patch embed, caption projection, adaLN-single, blocks, proj_out) within 1e-3', async () => {
    const dit = await loadPixArt(await openPixArt(tiny('pixart-tiny.f32.safetensors')), { runtime: runtime(), cache, taps: true });
    const { extras } = await runCase(dit, await ditCase('dit_case1'));
    for (const name of ['patch_embed_plus_pos', 'caption_projection', 'embedded_timestep', 't_block', 'block_0', 'block_1', 'proj_out']) {
      const diff = maxAbsDiff(extras[`tap/${name}`].data as Float32Array, await ref('dit_case1', 'intermediates', `${name}.npy`));
      console.info(`[pixart parity] intermediate ${name}: ${diff.toExponential(2)}`);
      expect(diff).toBeLessThan(1e-3);
    }
  });

  it('the null caption is the file’s y_embedding (the context of the null-caption case)', async () => {
    const nul = await pixartNullCaption(await openPixArt(tiny('pixart-tiny.f32.safetensors')));
    expect(nul?.dims).toEqual([120, 32]);
    expect(maxAbsDiff(nul!.data, await ref('dit_null_caption', 'context.npy'))).toBe(0);
    expect(await pixartNullCaption(await openPixArt(tiny('transformer')))).toBeUndefined();
  });

  it('explicit and onnx attention kernels agree with the fused one within 1e-4', async () => {
    const spec = await openPixArt(tiny('pixart-tiny.f32.safetensors'));
    const fused = await output(await loadPixArt(spec, { runtime: runtime(), cache }), 'dit_case2');
    for (const kernel of ['explicit', 'onnx'] as const) {
      const other = await output(await loadPixArt(spec, { runtime: runtime(), cache, kernel }), 'dit_case2');
      expect(maxAbsDiff(fused, other)).toBeLessThan(1e-4);
    }
  });
});
