import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HostTensor } from '../../../engine/graph/session.ts';
import { SessionCache } from '../../../engine/graph/session.ts';
import { psnr } from '../../../engine/image/metrics.ts';
import { centerSquareCrop, resizeLanczos } from '../../../engine/image/resize.ts';
import { clampTensor, imageToTensor } from '../../../engine/image/tensor.ts';
import { detectModel } from '../../../engine/models/detect.ts';
import type { TAESDSpec } from '../../../engine/models/spec.ts';
import { TAESDDecoder, TAESDEncoder, type TAESDRunOptions, taesdFromSpec } from '../../../engine/models/taesd/taesd.ts';
import { npyToFloat32, readNpy } from '../../../engine/npy/npy.ts';
import { maxAbsDiff } from '../../graph/reference.ts';
import { SHARED_DIR, hasShared, sharedPath } from '../../support/shared.ts';

const CASES = [
  { name: 'taesd-random', weights: 'taesd_random_encoder.safetensors', channels: 4 },
  { name: 'taef2', weights: 'taef2_encoder.safetensors', channels: 32 },
] as const;

async function load(...p: string[]): Promise<HostTensor> {
  const a = await readNpy(sharedPath('golden', 'taesd', ...p));
  return { data: npyToFloat32(a), dims: a.shape };
}

let cacheDir: string;
let cache: SessionCache;
let opts: TAESDRunOptions;
beforeAll(async () => {
  cacheDir = await mkdtemp(join(tmpdir(), 'taesd-golden-'));
  cache = new SessionCache({ intraOpNumThreads: 2 });
  opts = { cache, runtime: { provider: 'cpu', placement: { cacheDir, readOnlyDirs: [SHARED_DIR] } } };
});
afterAll(async () => {
  await cache?.clear();
  await rm(cacheDir, { recursive: true, force: true });
});

async function models(weights: string) {
  // detectModel pairs the encoder file with the decoder file beside it.
  const spec = (await detectModel(sharedPath('weights', 'taesd', weights))) as TAESDSpec;
  const model = taesdFromSpec(spec);
  return { spec, encoder: new TAESDEncoder(model, opts), decoder: new TAESDDecoder(model, opts) };
}

describe.skipIf(!hasShared('golden', 'taesd') || !hasShared('weights', 'taesd'))('TAESD parity with taesd.py', () => {
  for (const c of CASES) {
    it(`${c.name}: encoder, decoder and non-square decoder case within 1e-3`, async () => {
      const { spec, encoder, decoder } = await models(c.weights);
      expect(spec.taesd.latentChannels).toBe(c.channels);
      const image = await load(c.name, 'golden', 'encoder_input_image01.npy');
      const latents = await encoder.encode(image);
      const refLatents = await load(c.name, 'golden', 'encoder_output_latents.npy');
      expect(latents.dims).toEqual(refLatents.dims);
      const dEnc = maxAbsDiff(latents.data as Float32Array, refLatents.data as Float32Array);

      const decoded = await decoder.decode(refLatents);
      const refImage = await load(c.name, 'golden', 'decoder_output_image.npy');
      expect(decoded.dims).toEqual(refImage.dims);
      const dDec = maxAbsDiff(decoded.data as Float32Array, refImage.data as Float32Array);

      const case2 = await decoder.decode(await load(c.name, 'golden', 'decoder_case2_latents.npy'));
      const refCase2 = await load(c.name, 'golden', 'decoder_case2_image.npy');
      expect(case2.dims).toEqual([1, 3, 128, 192]);
      const dCase2 = maxAbsDiff(case2.data as Float32Array, refCase2.data as Float32Array);
      console.info(`[taesd ${c.name}] max abs diff: encoder ${dEnc.toExponential(2)}, decoder ${dDec.toExponential(2)}, case2 ${dCase2.toExponential(2)}`);
      expect(dEnc).toBeLessThan(1e-3);
      expect(dDec).toBeLessThan(1e-3);
      expect(dCase2).toBeLessThan(1e-3);
    });
  }

  it('taef2 round trip of the provided 256² input matches the reported PSNR within 0.05 dB', async () => {
    const info = JSON.parse(await readFile(sharedPath('golden', 'taesd', 'taef2', 'info.json'), 'utf8'));
    const { encoder, decoder } = await models('taef2_encoder.safetensors');
    const image = await load('taef2', 'golden', 'encoder_input_image01.npy');
    const back = clampTensor(await decoder.decode(await encoder.encode(image)), 0, 1);
    const db = psnr(back.data as Float32Array, image.data as Float32Array);
    console.info(`[taesd taef2] gnochi 256 PSNR ${db.toFixed(3)} dB (reported ${info.psnr_roundtrip_db_clamped.toFixed(3)})`);
    expect(Math.abs(db - info.psnr_roundtrip_db_clamped)).toBeLessThan(0.05);
  });

  it('taef2 round trip of every photo (sharp Lanczos preprocessing) within 0.5 dB of the reported PSNR', async () => {
    const info = JSON.parse(await readFile(sharedPath('golden', 'taesd', 'taef2', 'info.json'), 'utf8'));
    const table = info.psnr_table as { image: string; size: number; psnr_db: number }[];
    expect(table.length).toBeGreaterThanOrEqual(14);
    const { encoder, decoder } = await models('taef2_encoder.safetensors');
    const lines: string[] = [];
    let worst = 0;
    for (const row of table) {
      const square = await centerSquareCrop(sharedPath('images', row.image));
      const image = await imageToTensor(await resizeLanczos(square, row.size, row.size), 'zero1');
      const back = clampTensor(await decoder.decode(await encoder.encode(image)), 0, 1);
      const db = psnr(back.data as Float32Array, image.data as Float32Array);
      worst = Math.max(worst, Math.abs(db - row.psnr_db));
      lines.push(`${row.image}@${row.size}: ${db.toFixed(3)} dB (reported ${row.psnr_db.toFixed(3)}, Δ ${(db - row.psnr_db).toFixed(3)})`);
      expect(Math.abs(db - row.psnr_db), `${row.image} at ${row.size}`).toBeLessThan(0.5);
    }
    console.info(`[taesd taef2] round-trip PSNR, worst |Δ| ${worst.toFixed(3)} dB\n  ${lines.join('\n  ')}`);
  }, 600_000);
});
