import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { dispatch } from '../../engine/api/dispatch.ts';
import { EditRequestSchema } from '../../engine/api/schemas.ts';
import { decodeToPng } from '../../engine/pipelines/encodeImage.ts';
import { encodeLatent, prepareImage } from '../../engine/pipelines/inputImage.ts';
import { inversionCacheHits } from '../../engine/pipelines/inversion.ts';
import { loadBundle } from '../../engine/pipelines/modelBundle.ts';
import { prepareEdit, renderEdit } from '../../engine/pipelines/edit.ts';
import { imageSizing } from '../../engine/pipelines/size.ts';
import { SettingsStore } from '../../engine/studio/settings/store.ts';
import { createHandlers } from '../../engine/studio/handlers.ts';
import { createStudio } from '../../engine/studio/create.ts';
import type { EditParams } from '../../engine/studio/context.ts';
import { allowFolders } from '../support/allowFolders.ts';
import { hasShared, SHARED_DIR, sharedPath } from '../support/shared.ts';

const tiny = sharedPath('golden', 'sd15-tiny', 'sd15-tiny.f32.safetensors');
const photoPath = sharedPath('images', 'vermeer.jpg');
const dir = mkdtempSync(join(tmpdir(), 'ls-edit-'));
const studio = createStudio({ settings: new SettingsStore(join(dir, 'settings.json')), paths: allowFolders(dir, SHARED_DIR) });
const handlers = createHandlers(studio);
const raw = (png: Buffer) => sharp(png).raw().toBuffer();

async function job(op: 'jobs.generate' | 'jobs.edit', req: Record<string, unknown>) {
  const env = await dispatch(handlers, op, req);
  if (!env.ok) throw new Error(env.error.message);
  const s = await studio.queue.waitFor((env.result as { jobId: string }).jobId);
  return s;
}
async function image(op: 'jobs.generate' | 'jobs.edit', req: Record<string, unknown>) {
  const s = await job(op, req);
  expect(s.state, JSON.stringify(s.error)).toBe('done');
  return studio.results.get(s.images[0].imageId);
}
const pixels = async (op: 'jobs.generate' | 'jobs.edit', req: Record<string, unknown>) => raw((await image(op, req)).png);
const maxDiff = (a: Uint8Array, b: Uint8Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
const psnr = (a: Uint8Array, b: Uint8Array) => {
  let se = 0;
  a.forEach((v, i) => (se += (v - b[i]) ** 2));
  return se === 0 ? Infinity : 10 * Math.log10((255 * 255) / (se / a.length));
};

/** The photo at the working size through the VAE and back: what an unedited photo edit returns. */
async function vaeRoundTrip(width: number, height: number) {
  const bundle = await loadBundle(tiny);
  const photo = await prepareImage({ path: photoPath }, studio.results, imageSizing(bundle.spec), width, height);
  const latent = await encodeLatent(bundle, photo.tensor);
  return raw(await decodeToPng(bundle, latent, [1, 4, height / 8, width / 8]));
}

const seedEdit = { model: tiny, steps: 10, seed: 3, width: 64, height: 64, sourcePrompt: 'a photo of a cat', targetPrompt: 'a photo of a cat' };
const photoEdit = { ...seedEdit, seed: undefined, image: { path: photoPath } };

describe.skipIf(!hasShared('golden', 'sd15-tiny'))('prompt-to-prompt edit pipeline (sd15-tiny)', () => {
  it('identity, seed: the target prompt equal to the source returns the unedited image', async () => {
    const plain = await pixels('jobs.generate', { model: tiny, steps: 10, seed: 3, width: 64, height: 64, prompt: 'a photo of a cat' });
    const same = await pixels('jobs.edit', seedEdit);
    expect(maxDiff(plain, same)).toBeLessThanOrEqual(1);
    // …and a real swap does change it, a word reweighted by 1 is no reweighting at all.
    const swapped = await pixels('jobs.edit', { ...seedEdit, targetPrompt: 'a photo of a dog' });
    expect(maxDiff(plain, swapped)).toBeGreaterThan(8);
    const byOne = await pixels('jobs.edit', { ...seedEdit, targetPrompt: 'a photo of a dog', wordWeights: { dog: 1 } });
    const inline = await pixels('jobs.edit', { ...seedEdit, targetPrompt: 'a photo of a (dog:1)' });
    expect(byOne.equals(swapped)).toBe(true);
    expect(inline.equals(swapped)).toBe(true);
    const byZero = await pixels('jobs.edit', { ...seedEdit, targetPrompt: 'a photo of a (dog:0)' });
    expect(byZero.equals(swapped)).toBe(false);
  }, 120_000);

  it('identity and inversion, photo: comes back as the VAE round trip; a second edit reuses the inversion', async () => {
    const roundTrip = await vaeRoundTrip(64, 64);
    const hits = inversionCacheHits();
    const same = await pixels('jobs.edit', photoEdit);
    expect(maxDiff(roundTrip, same)).toBeLessThanOrEqual(1);
    expect(psnr(roundTrip, same)).toBeGreaterThanOrEqual(35);
    const edited = await pixels('jobs.edit', { ...photoEdit, targetPrompt: 'a photo of a dog' });
    expect(inversionCacheHits()).toBe(hits + 1);
    expect(maxDiff(roundTrip, edited)).toBeGreaterThan(8);
    // Another guidance scale is another cache entry.
    await pixels('jobs.edit', { ...photoEdit, cfg: 5 });
    expect(inversionCacheHits()).toBe(hits + 1);
  }, 120_000);

  it('locality, local-blend words: outside the attention region nothing changes, inside it does', async () => {
    // 256 px: a 32² latent, so the latent/4 maps are 8² and a region can be smaller than the frame.
    const S = 256;
    const req = { ...seedEdit, steps: 4, width: S, height: S, targetPrompt: 'a photo of a dog', localBlendWords: ['cat', 'dog'] };
    const params = EditRequestSchema.parse(req) as EditParams;
    // Random weights attend almost uniformly (a word's map spans 0.35–0.45 of its maximum
    // here), so the reference threshold 0.3 keeps the whole frame; 0.9 exercises a real region.
    const prepared = await prepareEdit(params, studio, undefined, { blendThreshold: 0.9 });
    const full = await renderEdit(await prepareEdit(params, studio), 3);
    expect(full.region?.every((v) => v === 1)).toBe(true);
    const r = await renderEdit(prepared, 3);
    const plain = await pixels('jobs.generate', { model: tiny, steps: 4, seed: 3, width: S, height: S, prompt: 'a photo of a cat' });
    const out = await raw(r.png);
    expect(r.region).not.toBeNull();
    const region = r.region!;
    const covered = region.reduce((a, v) => a + v, 0);
    expect(covered).toBeGreaterThan(0);
    expect(covered).toBeLessThan(region.length);
    let outside = 0, inside = 0;
    for (let y = 0; y < S; y++) for (let x = 0; x < S; x++) {
      const inRegion = region[Math.floor(y / 8) * (S / 8) + Math.floor(x / 8)] > 0;
      for (let c = 0; c < 3; c++) {
        const d = Math.abs(out[(y * S + x) * 3 + c] - plain[(y * S + x) * 3 + c]);
        if (inRegion) inside = Math.max(inside, d);
        else outside = Math.max(outside, d);
      }
    }
    expect(outside).toBeLessThanOrEqual(1);
    expect(inside).toBeGreaterThan(8);
  }, 120_000);

  it('locality, painted mask on a photo: pixels outside the mask are unchanged, inside they change', async () => {
    const mask = await sharp({ create: { width: 128, height: 128, channels: 3, background: '#000' } })
      .composite([{ input: await sharp({ create: { width: 48, height: 40, channels: 3, background: '#fff' } }).png().toBuffer(), left: 40, top: 32 }])
      .png().toBuffer();
    const base = { ...photoEdit, width: 128, height: 128, targetPrompt: 'a photo of a dog' };
    const unedited = await pixels('jobs.edit', { ...base, targetPrompt: base.sourcePrompt });
    const out = await pixels('jobs.edit', { ...base, mask: { base64: mask.toString('base64') } });
    let outside = 0, inside = 0;
    for (let y = 0; y < 128; y++) for (let x = 0; x < 128; x++) {
      const inMask = x >= 40 && x < 88 && y >= 32 && y < 72;
      for (let c = 0; c < 3; c++) {
        const d = Math.abs(out[(y * 128 + x) * 3 + c] - unedited[(y * 128 + x) * 3 + c]);
        if (inMask) inside = Math.max(inside, d);
        else outside = Math.max(outside, d);
      }
    }
    expect(outside).toBeLessThanOrEqual(1);
    expect(inside).toBeGreaterThan(8);
  }, 120_000);

  it('exports carry the whole edit recipe, which validates as the same request', async () => {
    const stored = await image('jobs.edit', { ...seedEdit, targetPrompt: 'a photo of a (dog:1.5)', crossReplaceSteps: 0.6, crossReplaceWords: { dog: 0.3 }, localBlendWords: ['dog'] });
    expect(stored.parameters).toMatch(/^a photo of a \(dog:1\.5\)\n/);
    expect(stored.parameters).toMatch(/Edit source prompt: a photo of a cat/);
    expect(stored.parameters).toMatch(/Edit mode: replace/);
    expect(stored.parameters).toMatch(/Cross replace words: "dog=0\.3"|Cross replace words: dog=0\.3/);
    expect(stored.parameters).toMatch(/Local blend: dog/);
    expect(stored.recipe?.operation).toBe('jobs.edit');
    const again = EditRequestSchema.parse(stored.recipe!.request);
    expect(again).toMatchObject({ sourcePrompt: 'a photo of a cat', targetPrompt: 'a photo of a (dog:1.5)', crossReplaceSteps: 0.6, seed: 3, localBlendWords: ['dog'] });
    const replayed = await pixels('jobs.edit', stored.recipe!.request);
    expect(replayed.equals(await raw(stored.png))).toBe(true);
  }, 120_000);

  it('bad edits fail with typed errors before sampling', async () => {
    const failing = [
      [{ ...seedEdit, targetPrompt: 'a photo of a dog', wordWeights: { horse: 2 } }, /"horse" is not a word of the target prompt/],
      [{ ...seedEdit, targetPrompt: 'a photo of a fluffy cat', editMode: 'replace' }, /same number of words/],
      [{ ...photoEdit, sampler: 'euler' }, /ddim/],
      [{ ...seedEdit, localBlendWords: ['horse'] }, /neither prompt/],
      [{ ...seedEdit, tokenMerging: { ratio: 0.5 } }, /Token merging cannot be combined/],
    ] as const;
    for (const [req, message] of failing) {
      const s = await job('jobs.edit', req);
      expect(s.state).toBe('failed');
      expect(s.error?.code).toBe('INVALID_REQUEST');
      expect(s.error?.message).toMatch(message);
    }
  }, 60_000);
});
