import { app, BrowserWindow, shell } from 'electron';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHandlers } from '../engine/studio/handlers.ts';
import { createStudio } from '../engine/studio/create.ts';
import { forwardJobEvents, registerIpcHandlers } from './ipc-main.ts';
import { buildMenu } from './menu.ts';

const here = fileURLToPath(new URL('.', import.meta.url));

function createWindow(studio: ReturnType<typeof createStudio>): void {
  const win = new BrowserWindow({
    width: 1400,
    height: 900,
    title: 'Latent Studio',
    webPreferences: {
      preload: join(here, 'preload.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
    },
  });
  forwardJobEvents((l) => studio.queue.onEvent(l), win.webContents);
  // Links open in the system browser, never inside the app window.
  win.webContents.setWindowOpenHandler(({ url }) => {
    void shell.openExternal(url);
    return { action: 'deny' };
  });
  void win.loadFile(join(here, '..', '..', 'renderer', 'dist', 'index.html'));
}

void app.whenReady().then(() => {
  const studio = createStudio();
  registerIpcHandlers(createHandlers(studio));
  buildMenu();
  createWindow(studio);
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createWindow(studio);
  });
});

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});
