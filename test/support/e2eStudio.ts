import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import type { Settings } from '../../engine/api/schemas.ts';
import { PACKAGE_ROOT } from '../../engine/paths.ts';
import { startServer, type RunningServer } from '../../engine/server/server.ts';
import { SettingsStore } from '../../engine/studio/settings/store.ts';
import { createStudio } from '../../engine/studio/create.ts';
import { createHandlers } from '../../engine/studio/handlers.ts';
import { launchChromium } from './browser.ts';

export interface E2EStudio {
  server: RunningServer;
  browser: Browser;
  /** The studio's private home (settings, outputs). */
  home: string;
  close(): Promise<void>;
}

/** A real studio served on 127.0.0.1 with the built renderer, and Debian's Chromium to drive it. */
export async function startE2EStudio(settings: (home: string) => Partial<Settings>): Promise<E2EStudio> {
  const home = mkdtempSync(join(tmpdir(), 'ls-e2e-'));
  const studio = createStudio({ settings: new SettingsStore(join(home, 'settings.json')) });
  await studio.settings.override(settings(home));
  const server = await startServer({
    handlers: createHandlers(studio),
    onJobEvent: (l) => studio.queue.onEvent(l),
    staticDir: join(PACKAGE_ROOT, 'renderer', 'dist'),
    port: 0,
  });
  const browser = await launchChromium();
  return {
    server, browser, home,
    async close() {
      await browser.close();
      await server.close();
    },
  };
}
