import { existsSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { readEmbeddedRecipe } from '../../engine/export/readRecipe.ts';
import { hasChromium } from '../support/browser.ts';
import { defaultModelDir } from '../support/defaultModel.ts';
import { startE2EStudio, type E2EStudio } from '../support/e2eStudio.ts';
import { screenshotPath } from '../support/screenshots.ts';

/**
 * The image-prompt panel and Stylize end to end on the bundled toy model, which ships an
 * IP-Adapter with its image encoder. Only UI states, job events and recipes are checked:
 * the toy model may be retrained at any time, so what it draws is not.
 */
const modelsDir = defaultModelDir();
const hasAdapter = Boolean(modelsDir && existsSync(join(modelsDir, 'ip-adapter_toy.safetensors')));

/** A flat picture with a disc, so the reference and the style are clearly images. */
async function disc(path: string, fg: string, bg: string): Promise<void> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"><rect width="64" height="64" fill="${bg}"/><circle cx="32" cy="32" r="16" fill="${fg}"/></svg>`;
  await sharp(Buffer.from(svg)).png().toFile(path);
}

const finished = (page: Page, kind: string) =>
  page.locator(`[data-testid=job][data-kind=${kind}][data-state=done], [data-testid=job][data-kind=${kind}][data-state=failed]`).first();

describe.skipIf(!hasChromium() || !hasAdapter)('image prompt and style transfer in Chromium', () => {
  let e2e: E2EStudio;

  beforeAll(async () => {
    e2e = await startE2EStudio((home) => ({ modelsDir: modelsDir!, outputDir: join(home, 'out'), previewEvery: 0 }));
  });
  afterAll(async () => {
    await e2e?.close();
  });

  it('generates with a reference image, then stylizes the result and restores its settings', async () => {
    const page = await e2e.browser.newPage({ viewport: { width: 1440, height: 900 } });
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(e2e.server.url);
    await page.locator('[data-testid=model-select] option:not([value=""])').first().waitFor({ state: 'attached', timeout: 30_000 });
    // The adapter and its encoder are offered where they belong, never as the model to run.
    expect(await page.getByTestId('model-select').inputValue()).not.toMatch(/ip-adapter|image_encoder/);

    const reference = join(e2e.home, 'reference.png');
    await disc(reference, '#d33', '#235');
    await page.locator('[data-testid=image-prompt-panel] > summary').click();
    await page.locator('[data-testid=ip-adapter-select] option', { hasText: 'ip-adapter_toy' }).waitFor({ state: 'attached' });
    await page.getByTestId('reference-file').setInputFiles(reference);
    await page.getByTestId('reference-image').waitFor();
    expect(await page.getByRole('img', { name: /Reference image 1: reference\.png/ }).count()).toBe(1);
    await page.getByTestId('ip-adapter-preset').selectOption('style+layout');
    await page.getByTestId('image-prompt-panel').screenshot({ path: screenshotPath('ui-image-prompt.png') });

    // Edit cannot use image prompts: the button says so before anything is sent.
    await page.getByTestId('steps').fill('4');
    await page.getByTestId('target-prompt').fill((await page.getByTestId('source-prompt').inputValue()).replace('red', 'green'));
    expect(await page.getByTestId('run-edit').isDisabled()).toBe(true);
    expect(await page.getByTestId('edit-reason').textContent()).toMatch(/cannot use image prompts/);
    await page.getByTestId('target-prompt').fill(await page.getByTestId('source-prompt').inputValue());

    await page.getByTestId('run-generate').click();
    const generate = finished(page, 'generate');
    await generate.waitFor({ timeout: 180_000 });
    expect(await generate.getAttribute('data-state'), await generate.textContent() ?? '').toBe('done');
    await page.getByTestId('history-item').first().click();
    await expect.poll(() => page.getByTestId('recipe-line').textContent()).toMatch(/image prompt \(scale [\d.]+\), style and layout/);

    // The exported PNG carries the image prompt in its recipe; re-opening it and restoring brings the reference back.
    const exported = join(e2e.home, 'out', 'with-image-prompt.png'); // inside the output folder
    await page.keyboard.press('Control+e');
    await page.getByTestId('export-path').fill('with-image-prompt.png');
    // Served to a browser, the export is a download.
    const download = page.waitForEvent('download');
    await page.getByTestId('export-confirm').click();
    await (await download).saveAs(exported);
    await page.getByTestId('export-done').filter({ hasText: 'Downloaded' }).waitFor();
    await page.keyboard.press('Escape');
    expect((await readEmbeddedRecipe(exported)).recipe?.request).toMatchObject({ imagePrompts: [{ scale: expect.any(Number) }], ipAdapter: { blocks: 'style+layout' } });
    await page.getByTestId('reference-remove').click();
    await page.getByTestId('ip-adapter-preset').selectOption('all');
    await page.getByTestId('open-file').setInputFiles(exported);
    await page.getByTestId('recipe-restore').click();
    await page.getByTestId('reference-image').waitFor();
    expect(await page.getByTestId('ip-adapter-preset').inputValue()).toBe('style+layout');

    // Stylize the re-opened image (now the source) after a second picture.
    const style = join(e2e.home, 'style.png');
    await disc(style, '#fc3', '#3a3');
    await page.locator('[data-testid=style-panel] > summary').click();
    await page.getByTestId('style-file').setInputFiles(style);
    await page.getByTestId('style-image').waitFor();
    await page.getByTestId('style-steps').fill('3');
    await page.getByTestId('run-stylize').click();
    const stylize = finished(page, 'stylize');
    await stylize.waitFor({ timeout: 180_000 });
    expect(await stylize.getAttribute('data-state'), await stylize.textContent() ?? '').toBe('done');
    await expect.poll(() => page.getByTestId('history-item').count()).toBe(2);
    await page.getByTestId('history-item').nth(1).click();
    await expect.poll(() => page.getByTestId('recipe-line').textContent()).toMatch(/StyleID γ 0\.75, T 1\.5/);

    // Restore settings brings the style panel back as that job had it, style image included.
    await page.getByTestId('style-steps').fill('9');
    await page.getByTestId('style-remove').click();
    await page.getByTestId('history-restore').click();
    expect(await page.getByTestId('style-steps').inputValue()).toBe('3');
    await page.getByTestId('style-image').waitFor();
    expect(pageErrors).toEqual([]);
  }, 400_000);
});
