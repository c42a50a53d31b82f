import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { readEmbeddedRecipe } from '../../engine/export/readRecipe.ts';
import type { RunningServer } from '../../engine/server/server.ts';
import { hasChromium } from '../support/browser.ts';
import { defaultModelDir } from '../support/defaultModel.ts';
import { startE2EStudio, type E2EStudio } from '../support/e2eStudio.ts';

/**
 * The studio's everyday sequences in Chromium over the local server and the bundled model
 * (issue 24): which image is being edited after several runs, what its prompts say, why a
 * button cannot run, what the attention maps describe, where an export goes, how the canvas
 * follows the window, what the progress counts and what the settings list calls each file.
 * Only the UI's states, the requests it sends and the files it hands over are checked.
 */
const modelsDir = defaultModelDir();

/** The image id in an /api/images/<id>.png URL. */
const idOf = (src: string | null): string => src?.match(/images\/([\w-]+)\.png/)?.[1] ?? '';

/** The working image's id: the canvas layer marked as the working image. */
const workingId = async (page: Page): Promise<string> => idOf(await page.locator('.layers img[data-working=true]').getAttribute('src'));

/** The JSON body of the next request to an operation, once `act` has triggered it. */
async function requestOf(page: Page, op: string, act: () => Promise<void>): Promise<Record<string, unknown>> {
  const request = page.waitForRequest((r) => r.url().includes(`/api/op/${op}`));
  await act();
  return (await request).postDataJSON() as Record<string, unknown>;
}

const doneJobs = (page: Page, kind: string) => page.locator(`[data-testid=job][data-kind=${kind}][data-state=done]`);

describe.skipIf(!hasChromium() || !modelsDir)('everyday sequences in Chromium', () => {
  let server: RunningServer;
  let browser: Browser;
  let e2e: E2EStudio;
  let page: Page;

  beforeAll(async () => {
    e2e = await startE2EStudio((home) => ({ modelsDir: modelsDir!, outputDir: join(home, 'out'), previewEvery: 0 }));
    ({ server, browser } = e2e);
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, acceptDownloads: true });
    page = await context.newPage();
    page.on('pageerror', (e) => console.log('[page error]', e.message));
    await page.goto(server.url);
    await page.locator('[data-testid=model-select] option:not([value=""])').first().waitFor({ state: 'attached', timeout: 30_000 });
  }, 60_000);
  afterAll(async () => {
    await e2e?.close();
  });

  it('a new result becomes the working image, labelled; the source prompt follows it; typed text survives the result', async () => {
    await page.getByTestId('target-prompt').fill('a red circle on a blue background');
    await page.getByLabel('Seed', { exact: true }).fill('7');
    // Enough steps that the typing below happens while the job runs.
    await page.getByTestId('steps').fill('150');
    await page.getByTestId('run-generate').click();
    await page.getByTestId('target-prompt').fill('a red circle on a yellow background');
    expect(await doneJobs(page, 'generate').count(), 'typed while the first generation ran').toBe(0);
    await doneJobs(page, 'generate').first().waitFor({ timeout: 120_000 });
    await expect.poll(() => page.getByTestId('canvas-label-before').textContent()).toBe('Editing: Generated 1');
    expect(await page.getByTestId('target-prompt').inputValue()).toBe('a red circle on a yellow background');
    expect(await page.getByTestId('source-prompt').inputValue()).toBe('a red circle on a blue background');
    const first = await workingId(page);

    // A second Generate: its result is the working image, and Edit edits it under its own prompt.
    await page.getByTestId('steps').fill('8');
    await page.getByTestId('target-prompt').fill('a green square on a blue background');
    await page.getByTestId('run-generate').click();
    await expect.poll(() => doneJobs(page, 'generate').count(), { timeout: 120_000 }).toBe(2);
    await expect.poll(() => page.getByTestId('canvas-label-before').textContent()).toBe('Editing: Generated 2');
    const second = await workingId(page);
    expect(second).not.toBe(first);
    expect(await page.getByTestId('source-prompt').inputValue()).toBe('a green square on a blue background');
    await page.getByTestId('target-prompt').fill('a pink square on a blue background');
    const edit = await requestOf(page, 'jobs.edit', () => page.getByTestId('run-edit').click());
    expect(edit).toMatchObject({ image: { imageId: second }, sourcePrompt: 'a green square on a blue background', targetPrompt: 'a pink square on a blue background' });
    await expect.poll(() => doneJobs(page, 'edit').count(), { timeout: 120_000 }).toBe(1);
    // The edit's result is now the image being edited, shown beside the one it was made from.
    await expect.poll(() => page.getByTestId('canvas-label-after').textContent()).toBe('Result, now editing: Edited 3');
    expect(await page.getByTestId('canvas-label-before').textContent()).toBe('Made from: Generated 2');
    expect(await page.getByTestId('source-prompt').inputValue()).toBe('a pink square on a blue background');

    // Pinned, the next result is shown beside the working image and does not replace it.
    const edited = await workingId(page);
    await page.getByTestId('pin-working').click();
    await page.getByTestId('run-generate').click();
    await expect.poll(() => doneJobs(page, 'generate').count(), { timeout: 120_000 }).toBe(3);
    await expect.poll(() => page.getByTestId('canvas-label-after').textContent()).toBe('Result: Generated 4');
    expect(await page.getByTestId('canvas-label-before').textContent()).toBe('Editing: Edited 3');
    expect(await workingId(page)).toBe(edited);
    await page.getByTestId('pin-working').click();
  }, 300_000);

  it('Edit is disabled with its reason shown: nothing changed, or token merging on', async () => {
    const source = await page.getByTestId('source-prompt').inputValue();
    await page.getByTestId('target-prompt').fill(source);
    expect(await page.getByTestId('run-edit').isDisabled()).toBe(true);
    expect(await page.getByTestId('edit-reason').textContent()).toMatch(/Nothing to edit yet: change a word/);
    await page.getByTestId('target-prompt').fill(source.replace('pink', 'cyan'));
    expect(await page.getByTestId('run-edit').isEnabled()).toBe(true);
    await page.getByTestId('tome-toggle').check();
    expect(await page.getByTestId('run-edit').isDisabled()).toBe(true);
    expect(await page.getByTestId('edit-reason').textContent()).toMatch(/token merging on.*Turn Token merging off/);
    await page.getByTestId('tome-toggle').uncheck();
    expect(await page.getByTestId('run-edit').isEnabled()).toBe(true);
    expect(await page.getByTestId('edit-reason').count()).toBe(0);
  });

  it('Show attention reads the working image: a generation by its recorded seed, an opened photo by inversion', async () => {
    // Continue from the first generation (seed 7, 150 steps), then move the run panel elsewhere.
    await page.getByTestId('history-item').first().click();
    await page.getByTestId('history-continue').click();
    await expect.poll(() => page.getByTestId('canvas-label-before').textContent()).toBe('Editing: Generated 1');
    await page.getByLabel('Seed', { exact: true }).fill('999');
    await page.getByTestId('steps').fill('4');
    const remade = await requestOf(page, 'jobs.attention', () => page.getByTestId('show-attention').click());
    expect(remade).toMatchObject({ seed: 7, steps: 150, prompt: 'a red circle on a blue background' });
    expect(remade).not.toHaveProperty('image');
    await page.getByTestId('attention-status').filter({ hasText: /Hover a word/ }).waitFor({ timeout: 120_000 });

    // An opened photo has no seed: its maps come from inverting it under the source prompt.
    const px = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#2040c0' } })
      .composite([{ input: await sharp({ create: { width: 24, height: 24, channels: 3, background: '#e02020' } }).png().toBuffer(), left: 20, top: 20 }])
      .png().toFile(join(e2e.home, 'square.png'));
    expect(px.width).toBe(64);
    await page.getByTestId('open-file').setInputFiles(join(e2e.home, 'square.png'));
    await expect.poll(() => page.getByTestId('canvas-label-before').textContent()).toBe('Editing: square.png');
    expect(await page.getByTestId('attention-status').textContent()).not.toMatch(/Hover a word/);
    await page.getByTestId('source-prompt').fill('a red square on a blue background');
    await page.getByTestId('target-prompt').fill('a green square on a blue background');
    const inverted = await requestOf(page, 'jobs.attention', () => page.getByTestId('show-attention').click());
    expect(inverted).toMatchObject({ prompt: 'a red square on a blue background', width: 64, height: 64 });
    expect((inverted.image as { base64?: string }).base64).toBeTruthy();
    await page.getByTestId('attention-status').filter({ hasText: /Hover a word/ }).waitFor({ timeout: 120_000 });
    // The swapped-in word shows where the word it replaces acts in the image.
    await page.locator('[data-testid=diff-word][data-kind=swap]', { hasText: 'green' }).hover();
    await page.locator('.layer.heat').waitFor();
    await page.mouse.move(0, 0);

    // The opened photo stays in the history strip: one click makes it the working image again.
    await page.getByTestId('history-item').first().click();
    await page.getByTestId('history-continue').click();
    await expect.poll(() => page.getByTestId('canvas-label-before').textContent()).toBe('Editing: Generated 1');
    await page.getByTestId('history-opened').click();
    await expect.poll(() => page.getByTestId('canvas-label-before').textContent()).toBe('Editing: square.png');
  }, 300_000);

  it('export downloads the file, with its recipe, to the user', async () => {
    await page.getByTestId('history-item').first().click();
    await page.getByTestId('history-continue').click();
    await page.keyboard.press('Control+e');
    expect(await page.getByTestId('export-confirm').textContent()).toBe('Download');
    await page.getByTestId('export-path').fill('first.png');
    const download = page.waitForEvent('download');
    await page.getByTestId('export-confirm').click();
    const file = join(e2e.home, 'downloaded.png');
    await (await download).saveAs(file);
    expect((await download).suggestedFilename()).toBe('first.png');
    const found = await readEmbeddedRecipe(file);
    expect(found.recipe?.request).toMatchObject({ prompt: 'a red circle on a blue background', seed: 7 });
    await page.getByTestId('export-done').filter({ hasText: /Downloaded first\.png/ }).waitFor();
    await page.keyboard.press('Escape');
  });

  it('resizing the window re-fits the image', async () => {
    const readout = page.locator('.zoom-readout');
    const frame = page.locator('.image-frame');
    const wide = await readout.textContent();
    await page.setViewportSize({ width: 1000, height: 640 });
    await expect.poll(() => readout.textContent()).not.toBe(wide);
    const stage = (await page.getByTestId('canvas-stage').boundingBox())!;
    const box = (await frame.boundingBox())!;
    // Fitted: inside the stage, and filling it along one side.
    expect(box.x).toBeGreaterThanOrEqual(stage.x - 1);
    expect(box.y).toBeGreaterThanOrEqual(stage.y - 1);
    expect(box.x + box.width).toBeLessThanOrEqual(stage.x + stage.width + 1);
    expect(box.y + box.height).toBeLessThanOrEqual(stage.y + stage.height + 1);
    expect(Math.max(box.width / stage.width, box.height / stage.height)).toBeGreaterThan(0.8);
    await page.setViewportSize({ width: 1440, height: 900 });
    await expect.poll(() => readout.textContent()).toBe(wide);
  });

  it('progress counts the steps asked for: DDIM at 300 steps runs 300', async () => {
    await page.getByTestId('steps').fill('300');
    await page.getByTestId('run-generate').click();
    const running = page.locator('[data-testid=job][data-kind=generate][data-state=running]');
    await running.getByText(/step [1-9]\d*\/\d+/).waitFor({ timeout: 120_000 });
    expect(await running.getByTestId('job-status').textContent()).toMatch(/step \d+\/300 /);
    await running.getByTestId('job-cancel').click();
    await page.locator('[data-testid=job][data-kind=generate][data-state=cancelled]').waitFor({ timeout: 60_000 });
  }, 200_000);

  it('the settings list names each model file by what it is', async () => {
    await page.getByRole('button', { name: /Models & settings/ }).click();
    await page.getByTestId('model-item').first().waitFor();
    const names = await page.locator('[data-testid=model-item] .model-name').allTextContents();
    const roles = await page.getByTestId('model-role').allTextContents();
    expect(names).not.toContain('model');
    expect(names).toContain('image_encoder/model.safetensors');
    expect(roles[names.indexOf('image_encoder/model.safetensors')]).toMatch(/Image encoder/);
    expect(roles[names.indexOf('toy-shapes')]).toBe('Image model');
    expect(roles.filter((r) => /IP-Adapter \(image prompts\)/.test(r))).toHaveLength(2);
    await page.keyboard.press('Escape');
  });
});
