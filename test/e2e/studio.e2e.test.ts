import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { PACKAGE_ROOT } from '../../engine/paths.ts';
import { screenshotPath } from '../support/screenshots.ts';
import { startServer, type RunningServer } from '../../engine/server/server.ts';
import { SettingsStore } from '../../engine/settings/store.ts';
import { createStudio } from '../../engine/studio/create.ts';
import { createHandlers } from '../../engine/studio/handlers.ts';
import { hasChromium, launchChromium } from '../support/browser.ts';
import { defaultModelDir } from '../support/defaultModel.ts';

const modelsDir = defaultModelDir();

describe.skipIf(!hasChromium() || !modelsDir)('studio in Chromium over the local server', () => {
  let server: RunningServer;
  let browser: Browser;

  beforeAll(async () => {
    const home = mkdtempSync(join(tmpdir(), 'ls-e2e-'));
    const studio = createStudio({ settings: new SettingsStore(join(home, 'settings.json')) });
    await studio.settings.override({ modelsDir: modelsDir! });
    server = await startServer({
      handlers: createHandlers(studio),
      onJobEvent: (l) => studio.queue.onEvent(l),
      staticDir: join(PACKAGE_ROOT, 'renderer', 'dist'),
      port: 0,
    });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
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
