import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { readEmbeddedRecipe } from '../../engine/export/readRecipe.ts';
import { screenshotPath } from '../support/screenshots.ts';
import type { RunningServer } from '../../engine/server/server.ts';
import { hasChromium } from '../support/browser.ts';
import { startE2EStudio, type E2EStudio } from '../support/e2eStudio.ts';
import { defaultModelDir } from '../support/defaultModel.ts';

/**
 * The studio UI end to end, in Debian's Chromium against the local server and the bundled
 * model. Nothing here depends on what the model draws: only on the UI's states, the job
 * events and the files it writes.
 */
const modelsDir = defaultModelDir();

/** A small synthetic "photo": a gradient with a disc, so it is clearly not blank. */
async function photo(path: string): Promise<void> {
  const w = 64;
  const px = Buffer.alloc(w * w * 3);
  for (let y = 0; y < w; y++) {
    for (let x = 0; x < w; x++) {
      const i = 3 * (y * w + x);
      const inDisc = (x - 32) ** 2 + (y - 30) ** 2 < 15 ** 2;
      px[i] = inDisc ? 220 : 40 + x;
      px[i + 1] = inDisc ? 60 : 70 + y;
      px[i + 2] = inDisc ? 60 : 160;
    }
  }
  await sharp(px, { raw: { width: w, height: w, channels: 3 } }).png().toFile(path);
}

/** Alpha pixels set in the mask overlay canvas. */
const maskPixels = (page: Page): Promise<number> =>
  page.getByTestId('mask-canvas').evaluate((c) => {
    // Structural type: the test's tsconfig has no DOM library.
    const canvas = c as unknown as { width: number; height: number; getContext(k: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } };
    const d = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    let n = 0;
    for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
    return n;
  });

describe.skipIf(!hasChromium() || !modelsDir)('studio UI in Chromium over the local server', () => {
  let server: RunningServer;
  let browser: Browser;
  let work: string;

  let e2e: E2EStudio;

  beforeAll(async () => {
    e2e = await startE2EStudio((home) => ({ modelsDir: modelsDir!, outputDir: join(home, 'out'), previewEvery: 2 }));
    ({ server, browser, home: work } = e2e);
  });
  afterAll(async () => {
    await e2e?.close();
  });

  it('opens a photo, masks, edits the prompt, runs, cancels, compares and exports with its recipe', async () => {
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, permissions: ['clipboard-read', 'clipboard-write'] });
    const page = await context.newPage();
    const t0 = Date.now();
    const step = (name: string): void => void (process.env.E2E_VERBOSE && console.log(`[e2e ${((Date.now() - t0) / 1000).toFixed(1)}s] ${name}`));
    const now = (): Promise<number> => page.evaluate(() => performance.now());
    const runWindow: number[] = [];
    // Screenshots force a synchronous capture in the page; those intervals are the test's doing, not the app's.
    const shotWindows: [number, number][] = [];
    const shot = async (name: string): Promise<void> => {
      const start = await now();
      await page.screenshot({ path: screenshotPath(name) });
      shotWindows.push([start, await now()]);
    };
    page.on('pageerror', (e) => console.log('[page error]', e.message));
    const cspViolations: string[] = [];
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text());
    });
    step('Long tasks (> 50 ms main-thread blocks) are recorded from');
    // Long tasks (> 50 ms main-thread blocks) are recorded from the first script on.
    await page.addInitScript(() => {
      const w = globalThis as unknown as { __longTasks: { start: number; duration: number }[] };
      w.__longTasks = [];
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) w.__longTasks.push({ start: e.startTime, duration: e.duration });
      }).observe({ type: 'longtask' as never, buffered: true });
    });
    await page.goto(server.url);
    await page.getByText('Open an image to edit').waitFor();
    await page.locator('[data-testid=model-select] option:not([value=""])').first().waitFor({ state: 'attached', timeout: 30_000 });
    await shot('ui-empty.png');

    // Every main control is reachable with the keyboard, by a name.
    const reached = new Set<string>();
    for (let i = 0; i < 60; i++) {
      await page.keyboard.press('Tab');
      reached.add(await page.evaluate(() => {
        const el = (globalThis as unknown as { document: { activeElement: { getAttribute(n: string): string | null; textContent: string | null; id: string } | null } }).document.activeElement;
        return (el?.getAttribute('aria-label') || el?.textContent || el?.id || '').trim();
      }));
    }
    for (const name of ['Open…', 'Brush', 'Eraser', 'Generate', 'Edit', 'Models & settings', 'Image canvas']) {
      expect([...reached].some((r) => r.startsWith(name)), `${name} reachable by Tab`).toBe(true);
    }

    step('Open a photo through the file dialog.');
    // Open a photo through the file dialog.
    const photoPath = join(work, 'photo.png');
    await photo(photoPath);
    await page.getByTestId('open-file').setInputFiles(photoPath);
    await page.getByTestId('layer-before').waitFor();

    step('Paint a mask: one drag is one stroke and one undo step.');
    // Drag and drop, and paste, open images too.
    const dropped = (await sharp({ create: { width: 96, height: 64, channels: 3, background: '#3a6' } }).png().toBuffer()).toString('base64');
    await page.evaluate(async (b64) => {
      const g = globalThis as unknown as Record<string, new (...a: unknown[]) => unknown> & { dispatchEvent(e: unknown): void; atob(s: string): string };
      const bytes = Uint8Array.from(g.atob(b64), (c: string) => c.charCodeAt(0));
      const dt = new g.DataTransfer() as { items: { add(f: unknown): void } };
      dt.items.add(new g.File([bytes], 'dropped.png', { type: 'image/png' }));
      g.dispatchEvent(new g.DragEvent('dragover', { dataTransfer: dt, cancelable: true }));
      g.dispatchEvent(new g.DragEvent('drop', { dataTransfer: dt, cancelable: true }));
    }, dropped);
    await page.locator('.thumb.source[title="Source: dropped.png"]').waitFor();
    expect(await page.getByTestId('layer-before').evaluate((i) => (i as unknown as { naturalWidth: number }).naturalWidth)).toBe(96);
    await page.evaluate(async (b64) => {
      const g = globalThis as unknown as Record<string, new (...a: unknown[]) => unknown> & { dispatchEvent(e: unknown): void; atob(s: string): string };
      const bytes = Uint8Array.from(g.atob(b64), (c: string) => c.charCodeAt(0));
      const dt = new g.DataTransfer() as { items: { add(f: unknown): void } };
      dt.items.add(new g.File([bytes], 'pasted.png', { type: 'image/png' }));
      g.dispatchEvent(new g.ClipboardEvent('paste', { clipboardData: dt, cancelable: true }));
    }, dropped);
    await page.locator('.thumb.source[title="Source: pasted.png"]').waitFor();
    // Back to the photo from the file dialog for the rest of the story.
    await page.getByTestId('open-file').setInputFiles(photoPath);
    await page.locator('.thumb.source[title="Source: photo.png"]').waitFor();

    // A file that is not an image is refused where it was opened, with what to do next.
    const notImage = join(work, 'notes.txt');
    writeFileSync(notImage, 'hello');
    await page.getByTestId('open-file').setInputFiles(notImage);
    const problem = page.locator('.canvas-area [role=alert]');
    await problem.waitFor();
    expect(await problem.textContent()).toMatch(/PNG, JPEG or WebP/);
    await problem.getByRole('button', { name: /Dismiss/ }).click();

    // Pan with Space-drag and with the middle button.
    const layers = page.locator('.layers');
    const transform = (): Promise<string> => layers.evaluate((e) => (e as unknown as { style: { transform: string } }).style.transform);
    const startView = await transform();
    const sb = (await page.getByTestId('canvas-stage').boundingBox())!;
    await page.mouse.move(sb.x + 100, sb.y + 100);
    await page.keyboard.down('Space');
    await page.mouse.down();
    await page.mouse.move(sb.x + 160, sb.y + 130, { steps: 4 });
    await page.mouse.up();
    await page.keyboard.up('Space');
    const panned = await transform();
    expect(panned).not.toBe(startView);
    await page.mouse.down({ button: 'middle' });
    await page.mouse.move(sb.x + 60, sb.y + 60, { steps: 4 });
    await page.mouse.up({ button: 'middle' });
    expect(await transform()).not.toBe(panned);
    expect(await maskPixels(page)).toBe(0);

    // Zoom with the wheel around the cursor, 100%, and back to fit.
    const readout = page.locator('.zoom-readout');
    const fitZoom = await readout.textContent();
    const stageBox = (await page.getByTestId('canvas-stage').boundingBox())!;
    await page.mouse.move(stageBox.x + stageBox.width / 2, stageBox.y + stageBox.height / 2);
    await page.mouse.wheel(0, 300);
    await expect.poll(() => readout.textContent()).not.toBe(fitZoom);
    await page.getByRole('button', { name: '100%' }).click();
    await expect.poll(() => readout.textContent()).toBe('100%');
    await page.getByRole('button', { name: 'Fit' }).click();
    await expect.poll(() => readout.textContent()).toBe(fitZoom);

    // Paint a mask: one drag is one stroke and one undo step.
    const stage = page.getByTestId('canvas-stage');
    const box = (await stage.boundingBox())!;
    const cx = box.x + box.width / 2;
    const cy = box.y + box.height / 2;
    await page.keyboard.press('b');
    await page.mouse.move(cx - 120, cy - 40);
    await page.mouse.down();
    for (let i = 1; i <= 12; i++) await page.mouse.move(cx - 120 + i * 20, cy - 40 + i * 6);
    await page.mouse.up();
    const painted = await maskPixels(page);
    expect(painted).toBeGreaterThan(50);

    step('Undo/redo of the stroke (keyboard), then a second stroke ');
    // Undo/redo of the stroke (keyboard), then a second stroke kept for the run.
    await stage.focus();
    await page.keyboard.press('Control+z');
    expect(await maskPixels(page)).toBe(0);
    await page.keyboard.press('Control+Shift+z');
    expect(await maskPixels(page)).toBe(painted);
    await page.keyboard.press(']');
    await page.mouse.move(cx - 60, cy + 60);
    await page.mouse.down();
    await page.mouse.move(cx + 60, cy + 60, { steps: 8 });
    await page.mouse.up();
    expect(await maskPixels(page)).toBeGreaterThan(painted);
    await page.keyboard.press('Control+z');
    expect(await maskPixels(page)).toBe(painted);

    step('Change a word: the diff shows it as a swap inline.');
    // Change a word: the diff shows it as a swap inline.
    await page.getByTestId('source-prompt').fill('a red circle on a blue background');
    await page.getByTestId('target-prompt').fill('a green circle on a blue background');
    await page.locator('[data-testid=diff-word][data-kind=swap]', { hasText: 'green' }).waitFor();
    expect(await page.getByTestId('diff-summary').textContent()).toContain('swap red → green');
    step("A weight from the word's controls is written back as (gre");
    // A weight from the word's controls is written back as (green:1.3) syntax.
    await page.locator('[data-testid=diff-word][data-kind=swap]', { hasText: 'green' }).click();
    await page.getByRole('group', { name: /Controls for/ }).getByLabel('Weight').fill('1.3');
    expect(await page.getByTestId('target-prompt').inputValue()).toBe('a (green:1.3) circle on a blue background');
    await shot('ui-mask-and-prompt.png');
    await page.getByRole('button', { name: 'Close word controls' }).click();

    // Attention maps, when the engine has the operation: hover a word for its heat map, then turn it into mask.
    await page.getByTestId('steps').fill('4');
    if (await page.getByTestId('show-attention').isEnabled()) {
      step('attention maps');
      await page.getByTestId('show-attention').click();
      await page.getByTestId('attention-status').filter({ hasText: /Hover a word/ }).waitFor({ timeout: 120_000 });
      await page.locator('[data-testid=diff-word]', { hasText: 'circle' }).hover();
      await page.locator('.layer.heat').waitFor();
      await shot('ui-attention.png');
      await page.locator('[data-testid=diff-word]', { hasText: 'circle' }).click();
      const before = await maskPixels(page);
      await page.getByRole('button', { name: 'Mask from attention' }).click();
      await expect.poll(() => maskPixels(page)).toBeGreaterThan(before);
      await page.keyboard.press('Control+z');
      await expect.poll(() => maskPixels(page)).toBe(before);
      await page.getByRole('button', { name: 'Close word controls' }).click();
    }

    step('Edit (prompt-to-prompt) goes through the contract; an eng');
    // Edit (prompt-to-prompt) goes through the contract; an engine without it answers with a typed error shown in place.
    runWindow.push(await now());
    await page.getByTestId('run-edit').click();
    const editJob = page.locator('[data-testid=job][data-kind=edit]').first();
    await editJob.waitFor();
    await page.locator('[data-testid=job][data-kind=edit][data-state=done], [data-testid=job][data-kind=edit][data-state=failed]').waitFor({ timeout: 120_000 });
    if ((await editJob.getAttribute('data-state')) === 'failed') {
      expect(await editJob.getByRole('alert').textContent()).toMatch(/\S/);
    }

    step('Two runs queue: a long one (cancelled while it runs) and ');
    // Two runs queue: a long one (cancelled while it runs) and a short one that finishes.
    await page.getByTestId('steps').fill('300');
    await page.getByTestId('run-inpaint').click();
    await page.getByTestId('steps').fill('8');
    await page.getByTestId('tome-toggle').check();
    await page.getByTestId('run-inpaint').click();
    await page.getByTestId('tome-toggle').uncheck();
    const jobs = page.locator('[data-testid=job][data-kind=inpaint]');
    await expect.poll(() => jobs.count()).toBe(2);
    // FIFO: the long run (submitted first) runs while the short one waits.
    const long = page.locator('[data-testid=job][data-kind=inpaint][data-state=running]');
    await long.getByText(/step \d+\/\d+/).waitFor({ timeout: 120_000 });
    expect(await page.locator('[data-testid=job][data-kind=inpaint][data-state=queued]').count()).toBe(1);
    await page.getByTestId('itps').filter({ hasText: /\d+\.\d+ it\/s/ }).waitFor();
    await long.getByText(/elapsed/).waitFor();
    await long.getByText(/left/).waitFor();
    await shot('ui-running.png');
    await long.getByTestId('job-cancel').click();
    await page.locator('[data-testid=job][data-kind=inpaint][data-state=cancelled]').waitFor({ timeout: 60_000 });
    await page.locator('[data-testid=job][data-kind=inpaint][data-state=done]').waitFor({ timeout: 120_000 });

    step('The result lands in the history and is compared with the ');
    runWindow.push(await now());
    // The result lands in the history and is compared with the source in the split view.
    await page.getByTestId('history-item').first().waitFor();
    await page.getByTestId('layer-after').waitFor();
    const clipBefore = await page.getByTestId('layer-after').evaluate((e) => (e as unknown as { style: { clipPath: string } }).style.clipPath);
    expect(clipBefore).toContain('50%');
    await page.keyboard.press('x');
    const clipAfter = await page.getByTestId('layer-after').evaluate((e) => (e as unknown as { style: { clipPath: string } }).style.clipPath);
    expect(clipAfter).not.toBe(clipBefore);
    await page.keyboard.press('x');
    await shot('ui-compare.png');

    step('Export a PNG with its recipe (Ctrl+E), then read the reci');
    // Export a PNG with its recipe (Ctrl+E), then read the recipe back from the file.
    const out = join(work, 'out', 'exported.png'); // exports go inside the output folder
    await page.keyboard.press('Control+e');
    await page.getByTestId('export-path').fill('exported.png');
    await shot('ui-export.png');
    await page.getByRole('button', { name: 'Copy to clipboard' }).click();
    await page.getByTestId('export-done').filter({ hasText: 'Copied' }).waitFor();
    const clipTypes = await page.evaluate(async () => {
      const nav = (globalThis as unknown as { navigator: { clipboard: { read(): Promise<{ types: string[] }[]> } } }).navigator;
      return (await nav.clipboard.read()).flatMap((i) => i.types);
    });
    expect(clipTypes).toContain('image/png');
    // In the browser the file is downloaded to the user, not written on the engine's machine.
    const download = page.waitForEvent('download');
    await page.getByTestId('export-confirm').click();
    expect((await download).suggestedFilename()).toBe('exported.png');
    await (await download).saveAs(out);
    await page.getByTestId('export-done').filter({ hasText: 'Downloaded' }).waitFor();
    const found = await readEmbeddedRecipe(out);
    expect(found.recipe?.operation).toMatch(/inpaint/);
    expect(found.recipe?.request).toMatchObject({ prompt: 'a green circle on a blue background', steps: 8, tokenMerging: { ratio: 0.5 } });
    expect(found.parameters).toContain('a green circle');
    await page.keyboard.press('Escape');

    step('Re-opening the export offers its recipe; restoring puts t');
    // Re-opening the export offers its recipe; restoring puts the prompt and steps back.
    await page.getByTestId('target-prompt').fill('something else');
    await page.getByTestId('steps').fill('3');
    await page.getByTestId('open-file').setInputFiles(out);
    await page.getByTestId('recipe-banner').waitFor();
    await page.getByTestId('recipe-restore').click();
    expect(await page.getByTestId('target-prompt').inputValue()).toBe('a green circle on a blue background');
    expect(await page.getByTestId('steps').inputValue()).toBe('8');

    step('Models & settings: the model is listed with its detected ');
    // Models & settings: the model is listed with its detected architecture.
    await page.getByRole('button', { name: /Models & settings/ }).click();
    await page.getByTestId('model-item').first().waitFor();
    await shot('ui-settings.png');
    await page.keyboard.press('Escape');

    step('The renderer stayed responsive throughout: no main-thread');
    // ? lists every shortcut.
    await page.getByTestId('canvas-stage').focus();
    await page.keyboard.press('Shift+?');
    await page.getByTestId('shortcuts-dialog').getByText('Swap before/after').waitFor();
    await page.keyboard.press('Escape');

    // The strict CSP (no inline styles or scripts) held: nothing was refused.
    expect(cspViolations).toEqual([]);
    // The renderer stayed responsive while jobs ran: no main-thread task over 100 ms.
    const longTasks = await page.evaluate(() => (globalThis as unknown as { __longTasks: { start: number; duration: number }[] }).__longTasks);
    if (process.env.E2E_VERBOSE) console.log('long tasks', JSON.stringify(longTasks), 'run window', runWindow);
    // Page start-up (module evaluation on a busy machine) is not "during a run"; every task from the first Run click to the last result is.
    const overlaps = (t: { start: number; duration: number }, [a, b]: [number, number]): boolean => t.start <= b && t.start + t.duration >= a;
    const duringRuns = longTasks.filter((t) => overlaps(t, [runWindow[0], runWindow[1]]) && !shotWindows.some((w) => overlaps(t, w)));
    if (process.env.E2E_VERBOSE) console.log('screenshot windows', JSON.stringify(shotWindows), 'counted', JSON.stringify(duringRuns));
    expect(Math.max(0, ...duringRuns.map((t) => t.duration))).toBeLessThan(100);
  }, 400_000);
});
