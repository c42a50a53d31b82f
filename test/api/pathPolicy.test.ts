import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { dispatch, type Envelope } from '../../engine/api/dispatch.ts';
import { inspectModel } from '../../engine/catalog/inspect.ts';
import { createHandlers } from '../../engine/studio/handlers.ts';
import { readRegularFile } from '../../engine/studio/pathPolicy.ts';
import { fakeStudio } from '../support/fakeStudio.ts';

const root = mkdtempSync(join(tmpdir(), 'ls-paths-'));
const models = join(root, 'models');
const output = join(root, 'outputs');
const foreign = join(root, 'elsewhere');
const SECRET = 'root:$6$secretHASHsecretHASH:19000:0:99999:7:::';
const unix = process.platform !== 'win32';

const studio = fakeStudio();
studio.inspect = inspectModel;
const handlers = createHandlers(studio);
const call = (op: string, payload: unknown): Promise<Envelope> => dispatch(handlers, op, payload);

let png: Buffer;
beforeAll(async () => {
  for (const d of [models, output, foreign]) mkdirSync(d, { recursive: true });
  await studio.settings.override({ modelsDir: models, outputDir: output });
  writeFileSync(join(foreign, 'shadow'), SECRET);
  writeFileSync(join(foreign, 'config.json'), `{"secret": "${SECRET}"`);
  png = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#123456' } }).png().toBuffer();
  writeFileSync(join(foreign, 'photo.png'), png);
  writeFileSync(join(output, 'mine.png'), png);
  writeFileSync(join(models, 'not-a-model.safetensors'), SECRET);
  if (unix) {
    execFileSync('mkfifo', [join(models, 'fifo.safetensors')]);
    execFileSync('mkfifo', [join(output, 'fifo.png')]);
    symlinkSync(foreign, join(output, 'link-out'));
  }
});

function expectRefused(r: Envelope, reason?: string): void {
  expect(r).toMatchObject({ ok: false, error: { code: 'PATH_REFUSED', ...(reason ? { details: { reason } } : {}) } });
  expect(JSON.stringify(r)).not.toContain('secret');
  expect(JSON.stringify(r)).not.toContain('root:');
}

describe('models.inspect and config paths are confined to the models folders', () => {
  it('a file outside every models folder is refused without a byte of it in the reply', async () => {
    expectRefused(await call('models.inspect', { path: join(foreign, 'shadow') }), 'outside');
    expectRefused(await call('models.inspect', { path: `${models}/../elsewhere/shadow` }), 'outside');
    expectRefused(await call('models.inspect', { path: '/etc/passwd' }), 'outside');
  });

  it('a config outside the models folders is refused before it is parsed', async () => {
    expectRefused(await call('models.inspect', { path: join(models, 'not-a-model.safetensors'), config: join(foreign, 'config.json') }), 'outside');
  });

  it('a file inside the models folder is still inspected (and named unusable)', async () => {
    const r = await call('models.inspect', { path: join(models, 'not-a-model.safetensors') });
    expect(r).toMatchObject({ ok: true, result: { error: { code: 'CHECKPOINT_CORRUPT' } } });
  });

  it.skipIf(!unix)('a FIFO in the models folder is refused at once, not waited on', async () => {
    const t0 = Date.now();
    expectRefused(await call('models.inspect', { path: join(models, 'fifo.safetensors') }), 'not-regular');
    expect(Date.now() - t0).toBeLessThan(2000);
  });

  it('models.list of a folder outside the models folders is refused', async () => {
    expectRefused(await call('models.list', { dir: foreign }), 'outside');
  });
});

describe('images read by path', () => {
  it('an image in the output folder reads; one elsewhere is refused', async () => {
    expect(await call('images.recipe', { image: { path: join(output, 'mine.png') } })).toMatchObject({ ok: true });
    expectRefused(await call('images.recipe', { image: { path: join(foreign, 'photo.png') } }), 'outside');
    expectRefused(await call('images.recipe', { image: { path: join(foreign, 'shadow') } }), 'outside');
  });

  it('a file the user picked reads wherever it is', async () => {
    const own = fakeStudio();
    await own.settings.override({ modelsDir: models, outputDir: output });
    const { PathPolicy } = await import('../../engine/studio/pathPolicy.ts');
    own.paths = PathPolicy.fromSettings(own.settings);
    own.paths.allowPicked(join(foreign, 'photo.png'));
    const r = await dispatch(createHandlers(own), 'images.recipe', { image: { path: join(foreign, 'photo.png') } });
    expect(r).toMatchObject({ ok: true });
  });

  it.skipIf(!unix)('devices, FIFOs and folders are refused before they are read', async () => {
    expectRefused(await call('images.recipe', { image: { path: join(output, 'fifo.png') } }), 'not-regular');
    expectRefused(await call('images.recipe', { image: { path: output } }), 'not-regular');
    await expect(readRegularFile('/dev/zero', 1024)).rejects.toMatchObject({ code: 'PATH_REFUSED', details: { reason: 'not-regular' } });
    await expect(readRegularFile(join(output, 'fifo.png'), 1024)).rejects.toMatchObject({ code: 'PATH_REFUSED' });
  });

  it('jobs naming a model or an image outside the folders are refused before they are queued', async () => {
    const before = (await call('jobs.list', {})) as { ok: true; result: { jobs: unknown[] } };
    expectRefused(await call('jobs.generate', { model: join(foreign, 'shadow'), prompt: 'x' }), 'outside');
    expectRefused(await call('jobs.img2img', { model: join(models, 'not-a-model.safetensors'), prompt: 'x', image: { path: join(foreign, 'photo.png') } }), 'outside');
    expectRefused(await call('jobs.generate', { model: join(models, 'not-a-model.safetensors'), prompt: 'x', ipAdapter: { path: join(foreign, 'shadow') } }), 'outside');
    // Fields added with PixArt and LoRAs name files too.
    expectRefused(await call('jobs.generate', { model: join(models, 'not-a-model.safetensors'), prompt: 'x', vae: join(foreign, 'shadow') }), 'outside');
    expectRefused(await call('jobs.generate', { model: join(models, 'not-a-model.safetensors'), prompt: 'x', loras: [{ name: join(foreign, 'shadow'), scale: 1 }] }), 'outside');
    expectRefused(await call('jobs.generate', { model: join(models, 'not-a-model.safetensors'), prompt: 'x', embeddingsDir: foreign }), 'outside');
    const after = (await call('jobs.list', {})) as { ok: true; result: { jobs: unknown[] } };
    expect(after.result.jobs.length).toBe(before.result.jobs.length);
  });
});

describe('images.export writes only inside the output folder', () => {
  const base64 = () => png.toString('base64');

  it('refuses to write, or overwrite, anything outside it; the foreign file is untouched', async () => {
    expectRefused(await call('images.export', { image: { base64: base64() }, path: join(foreign, 'shadow'), overwrite: true }), 'outside');
    expectRefused(await call('images.export', { image: { base64: base64() }, path: join(output, '..', 'elsewhere', 'new.png') }), 'outside');
    expect(readFileSync(join(foreign, 'shadow'), 'utf8')).toBe(SECRET);
  });

  it.skipIf(!unix)('a link inside the output folder does not carry the write out of it', async () => {
    expectRefused(await call('images.export', { image: { base64: base64() }, path: join(output, 'link-out', 'shadow'), overwrite: true }), 'outside');
    expect(readFileSync(join(foreign, 'shadow'), 'utf8')).toBe(SECRET);
  });

  it.skipIf(!unix)('overwrite replaces only regular files', async () => {
    expectRefused(await call('images.export', { image: { base64: base64() }, path: join(output, 'fifo.png'), overwrite: true }), 'not-regular');
  });

  it('writes inside the output folder, and overwrites there only when asked', async () => {
    const path = join(output, 'sub', 'export.png');
    expect(await call('images.export', { image: { base64: base64() }, path })).toMatchObject({ ok: true, result: { path } });
    expect(await call('images.export', { image: { base64: base64() }, path })).toMatchObject({ ok: false, error: { code: 'INVALID_REQUEST' } });
    expect(await call('images.export', { image: { base64: base64() }, path, overwrite: true })).toMatchObject({ ok: true });
  });
});

describe('the command line is not confined to the studio folders', () => {
  it('reads and writes where the user said, still refusing what is not a regular file', async () => {
    const { PathPolicy } = await import('../../engine/studio/pathPolicy.ts');
    const cli = PathPolicy.commandLine();
    await expect(cli.image(join(foreign, 'photo.png'))).resolves.toBe(join(foreign, 'photo.png'));
    await expect(cli.exportTarget(join(foreign, 'out.png'), false)).resolves.toBe(join(foreign, 'out.png'));
    if (unix) await expect(cli.image(join(output, 'fifo.png'))).rejects.toMatchObject({ code: 'PATH_REFUSED', details: { reason: 'not-regular' } });
  });
});
