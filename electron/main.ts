import { app, BrowserWindow, dialog, nativeImage, screen, session } from 'electron';
import { readFile, stat } from 'node:fs/promises';
import { basename, delimiter, extname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BUNDLED_ASSETS_DIR, BUNDLED_MODELS_DIR, ELECTRON_DIST_DIR, INSTALL, RENDERER_DIST_DIR } from '../engine/paths.ts';
import { createHandlers } from '../engine/studio/handlers.ts';
import { createStudio } from '../engine/studio/create.ts';
import { repointStaleBundledModels } from './bundledModels.ts';
import { DragOutFolder } from './dragOut.ts';
import { appFrameOnly, forwardJobEvents, registerIpcHandlers, registerShellHandlers, sendMenuCommand } from './ipc-main.ts';
import { buildMenu } from './menu.ts';
import { hardenContents, hardenSession } from './security.ts';
import { fitToDisplays, readWindowState, writeWindowState } from './windowState.ts';

const indexHtml = join(RENDERER_DIST_DIR, 'index.html');

// A packaged app never writes into its own install (a signed macOS bundle would break, an
// AppImage is read-only anyway): graphs of the bundled models go to the user's cache.
if (INSTALL.kind === 'packaged') {
  process.env.LATENT_STUDIO_READONLY_DIRS = [INSTALL.unpackedRoot, process.env.LATENT_STUDIO_READONLY_DIRS].filter(Boolean).join(delimiter);
}

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
    // Linux takes the window icon from here (macOS and Windows from the packaged app's own icon).
    ...(process.platform === 'linux' ? { icon: join(BUNDLED_ASSETS_DIR, 'icon.png') } : {}),
    show: false,
    webPreferences: {
      preload: join(ELECTRON_DIST_DIR, 'preload.cjs'),
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

void app.whenReady().then(async () => {
  const studio = createStudio();
  await repointStaleBundledModels(studio.settings, BUNDLED_MODELS_DIR);
  const trusted = appFrameOnly(indexHtml);
  const dragOut = new DragOutFolder();
  app.on('will-quit', () => dragOut.dispose());
  hardenSession(session.defaultSession, RENDERER_DIST_DIR);
  registerIpcHandlers(createHandlers(studio), trusted);
  registerShellHandlers({
    async pickFolder(contents, title) {
      const win = BrowserWindow.fromWebContents(contents);
      const options = { title, properties: ['openDirectory' as const, 'createDirectory' as const] };
      const r = win ? await dialog.showOpenDialog(win, options) : await dialog.showOpenDialog(options);
      return r.canceled ? null : (r.filePaths[0] ?? null);
    },
    async openImage(contents) {
      const win = BrowserWindow.fromWebContents(contents);
      const options = { title: 'Open Image', properties: ['openFile' as const], filters: [{ name: 'Images', extensions: ['png', 'jpg', 'jpeg', 'webp'] }] };
      const r = win ? await dialog.showOpenDialog(win, options) : await dialog.showOpenDialog(options);
      const path = r.canceled ? undefined : r.filePaths[0];
      if (!path) return null;
      if ((await stat(path)).size > 64 * 1024 * 1024) throw new Error(`${basename(path)} is larger than 64 MB`);
      const ext = extname(path).toLowerCase();
      const mime = ext === '.png' ? 'image/png' : ext === '.webp' ? 'image/webp' : 'image/jpeg';
      return { name: basename(path), mime, base64: (await readFile(path)).toString('base64') };
    },
    startDrag(contents, imageId) {
      const image = studio.results.get(imageId);
      const file = dragOut.write(imageId, image);
      contents.startDrag({ file, icon: nativeImage.createFromBuffer(image.png).resize({ width: 64 }) });
    },
  }, trusted);
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
