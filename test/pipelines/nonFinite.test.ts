import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../engine/cli/main.ts';
import { assertFinite, firstNonFinite } from '../../engine/graph/finite.ts';
import { readSafetensorsHeader } from '../../engine/safetensors/header.ts';
import { readTensorBytes } from '../../engine/safetensors/reader.ts';
import { writeSafetensors, type TensorToWrite } from '../../engine/safetensors/writer.ts';
import { dispatch } from '../../engine/api/dispatch.ts';
import { createHandlers } from '../../engine/studio/handlers.ts';
import { createStudio } from '../../engine/studio/create.ts';
import { SettingsStore } from '../../engine/studio/settings/store.ts';
import { captureOutput } from '../support/captureOutput.ts';
import { hasShared, sharedPath } from '../support/shared.ts';
import { allowFolders } from '../support/allowFolders.ts';

describe('non-finite check', () => {
  it('finds the first NaN or Inf and names the network in a typed error', () => {
    expect(firstNonFinite(Float32Array.from([0, 1, -2]))).toBe(-1);
    expect(firstNonFinite(Float32Array.from([0, Infinity, NaN]))).toBe(1);
    let thrown: unknown;
    try { assertFinite(Float32Array.from([1, NaN]), 'VAE decoder', 'image'); } catch (e) { thrown = e; }
    expect(thrown).toMatchObject({ code: 'RUNTIME_FAILURE', details: { reason: 'non-finite', network: 'VAE decoder', index: 1, value: 'NaN' } });
    expect((thrown as Error).message).toMatch(/VAE decoder produced NaN/);
  });
});

const tiny = sharedPath('golden', 'sd15-tiny', 'sd15-tiny.f32.safetensors');
const golden = (...p: string[]) => sharedPath('golden', 'sd15-tiny', 'golden', ...p);
const dir = mkdtempSync(join(tmpdir(), 'ls-nonfinite-'));

/** The tiny model with one weight replaced by `value`. */
async function spoiled(name: string, tensor: string, value: number): Promise<string> {
  const path = join(dir, `${name}.safetensors`);
  const tensors = new Map<string, TensorToWrite>();
  for (const [key, info] of (await readSafetensorsHeader(tiny)).tensors) {
    const bytes = Uint8Array.from(await readTensorBytes(info));
    if (key === tensor) new Float32Array(bytes.buffer)[0] = value;
    tensors.set(key, { dtype: info.dtype, shape: info.shape, data: bytes });
  }
  await writeSafetensors(path, tensors);
  return path;
}

describe.skipIf(!hasShared('golden', 'sd15-tiny'))('damaged weights fail with the network named, not a black image (issue 23 item 3)', () => {
  const studio = createStudio({ settings: new SettingsStore(join(dir, 'settings.json')), paths: allowFolders(dir) });
  const handlers = createHandlers(studio);
  const models: Record<string, string> = {};
  beforeAll(async () => {
    models.unet = await spoiled('nan-unet', 'model.diffusion_model.out.2.bias', NaN);
    models.text = await spoiled('inf-text', 'cond_stage_model.transformer.text_model.final_layer_norm.bias', Infinity);
    models.vae = await spoiled('nan-vae', 'first_stage_model.decoder.conv_out.bias', NaN);
  });

  for (const [which, network] of [['unet', 'UNet'], ['text', 'text encoder'], ['vae', 'VAE decoder']] as const) {
    it(`${network}: the job fails with a typed error naming it`, async () => {
      const env = await dispatch(handlers, 'jobs.generate', { model: models[which], prompt: 'a cat', steps: 2, width: 64, height: 64, seed: 1, cfg: 5 });
      expect(env.ok).toBe(true);
      const s = await studio.queue.waitFor((env as { result: { jobId: string } }).result.jobId);
      expect(s.state).toBe('failed');
      expect(s.error).toMatchObject({ code: 'RUNTIME_FAILURE' });
      expect(s.error?.message).toContain(`The ${network} produced`);
      expect(s.images).toHaveLength(0);
    });
  }

  it('debug unet exits non-zero with a typed message and writes no NaN array', async () => {
    const out = join(dir, 'eps.npy');
    const r = await captureOutput(() => main(['node', 'latent-studio', 'debug', 'unet', '--checkpoint', models.unet,
      '--in', `x=${golden('unet_case1', 'x.npy')}`, '--in', `t=${golden('unet_case1', 't.npy')}`, '--in', `context=${golden('unet_case1', 'context.npy')}`, '--out', out]));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/error \[RUNTIME_FAILURE\]: The UNet produced NaN/);
    expect(existsSync(out)).toBe(false);
  });

  it('debug text-encoder likewise', async () => {
    const out = join(dir, 'hidden.npy');
    const r = await captureOutput(() => main(['node', 'latent-studio', 'debug', 'text-encoder', '--checkpoint', models.text,
      '--in', `ids=${golden('text', 'input_ids.npy')}`, '--out', out]));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/The text encoder produced (NaN|Infinity|-Infinity)/);
    expect(existsSync(out)).toBe(false);
  });
});
