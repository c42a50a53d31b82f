import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { screenshotPath } from '../support/screenshots.ts';
import type { RunningServer } from '../../engine/server/server.ts';
import { hasChromium } from '../support/browser.ts';
import { startE2EStudio, type E2EStudio } from '../support/e2eStudio.ts';
import { defaultModelDir } from '../support/defaultModel.ts';

const modelsDir = defaultModelDir();

describe.skipIf(!hasChromium() || !modelsDir)('studio in Chromium over the local server', () => {
  let server: RunningServer;
  let browser: Browser;

  let e2e: E2EStudio;

  beforeAll(async () => {
    e2e = await startE2EStudio(() => ({ modelsDir: modelsDir! }));
    ({ server, browser } = e2e);
  });
  afterAll(async () => {
    await e2e?.close();
  });

  it('lists a model, runs a job with visible progress, and shows the result', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    await page.goto(server.url);
    await page.locator('[data-testid=model-select] option:not([value=""])').first().waitFor({ state: 'attached', timeout: 30_000 });
    expect(await page.getByTestId('model-select').inputValue()).not.toBe('');

    await page.getByTestId('run-generate').click();
    const job = page.getByTestId('job').first();
    await job.waitFor();
    // Progress is visible while it runs: "step k/N".
    await page.getByText(/step \d+\/\d+/).first().waitFor({ timeout: 60_000 });
    await page.locator('[data-testid=job][data-state=done]').waitFor({ timeout: 120_000 });
    // With nothing open, the first result becomes the image being edited.
    const result = page.getByTestId('layer-before');
    await result.waitFor();
    const loaded = await result.evaluate((img) => (img as { complete: boolean; naturalWidth: number }).complete && (img as { naturalWidth: number }).naturalWidth > 0);
    expect(loaded).toBe(true);
    await page.screenshot({ path: screenshotPath('studio.png') });

    const noToken = await browser.newPage();
    await noToken.goto(server.url.replace(/\?token=.*/, ''));
    await noToken.getByRole('alert').waitFor();
    expect(await noToken.getByRole('alert').textContent()).toContain('token');
  });
});
