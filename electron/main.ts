import { app, BrowserWindow, screen, session } from 'electron';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createHandlers } from '../engine/studio/handlers.ts';
import { createStudio } from '../engine/studio/create.ts';
import { forwardJobEvents, registerIpcHandlers, sendMenuCommand } from './ipc-main.ts';
import { buildMenu } from './menu.ts';
import { hardenContents, hardenSession } from './security.ts';
import { fitToDisplays, readWindowState, writeWindowState } from './windowState.ts';

const here = fileURLToPath(new URL('.', import.meta.url));
const indexHtml = join(here, '..', '..', 'renderer', 'dist', 'index.html');

function createWindow(studio: ReturnType<typeof createStudio>): BrowserWindow {
  const stateFile = join(app.getPath('userData'), 'window-state.json');
  const saved = fitToDisplays(readWindowState(stateFile), screen.getAllDisplays().map((d) => d.workArea));
  const win = new BrowserWindow({
    ...(saved.x !== undefined ? { x: saved.x, y: saved.y } : {}),
    width: saved.width,
    height: saved.height,
    minWidth: 900,
    minHeight: 600,
    title: 'Latent Studio',
    backgroundColor: '#131417',
    show: false,
    webPreferences: {
      preload: join(here, 'preload.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      spellcheck: false,
    },
  });
  if (saved.maximized) win.maximize();
  win.once('ready-to-show', () => win.show());
  hardenContents(win.webContents, pathToFileURL(indexHtml).href);
  forwardJobEvents((l) => studio.queue.onEvent(l), win.webContents);

  // Remember where the window was; normal bounds, so un-maximising restores the old size.
  const save = (): void => {
    if (win.isDestroyed()) return;
    writeWindowState(stateFile, { ...win.getNormalBounds(), maximized: win.isMaximized() });
  };
  win.on('close', save);
  void win.loadFile(indexHtml);
  return win;
}

void app.whenReady().then(() => {
  const studio = createStudio();
  hardenSession(session.defaultSession);
  registerIpcHandlers(createHandlers(studio));
  buildMenu((command) => {
    const win = BrowserWindow.getFocusedWindow() ?? BrowserWindow.getAllWindows()[0];
    if (win) sendMenuCommand(win.webContents, command);
  }, { devTools: !app.isPackaged });
  createWindow(studio);
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createWindow(studio);
  });
});

app.on('web-contents-created', (_e, contents) => {
  // Belt and braces for any contents created later (devtools excepted by URL check).
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
});

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});
