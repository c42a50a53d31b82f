// Runs the built Electron main bundle in plain Node against the stand-in `electron` module
// and drives it the way the renderer would: through the IPC handlers it registered.
// Usage: node --import ./register.mjs driver.mjs <main.js> <report.json> <export dir>
// The report lists what was observed; test/electron/mainBundle.test.ts judges it.
import { existsSync, statSync, writeFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { becomeReady, recorded } from './fake-electron.mjs';

/** Loads the sandboxed preload (CommonJS) as Electron would, its `electron` being the same stand-in. */
function loadPreload(file) {
  const fake = fileURLToPath(new URL('./fake-electron.mjs', import.meta.url));
  const resolve = Module._resolveFilename;
  Module._resolveFilename = function (request, ...rest) {
    return request === 'electron' ? fake : resolve.call(this, request, ...rest);
  };
  try {
    createRequire(import.meta.url)(file);
  } finally {
    Module._resolveFilename = resolve;
  }
}

const [mainJs, reportFile, exportDir] = process.argv.slice(2);
const report = { steps: [] };
const step = (name, value) => report.steps.push({ name, value });

try {
  await import(pathToFileURL(mainJs).href);
  step('windows before ready', recorded.windows.length);
  becomeReady();
  for (let i = 0; i < 100 && recorded.windows.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
  const win = recorded.windows[0];
  const prefs = win.options.webPreferences;
  step('window', {
    loaded: win.loaded,
    loadedExists: existsSync(win.loaded),
    preload: prefs.preload,
    preloadExists: existsSync(prefs.preload),
    icon: win.options.icon ?? null,
    iconExists: win.options.icon ? existsSync(win.options.icon) : null,
    contextIsolation: prefs.contextIsolation,
    sandbox: prefs.sandbox,
    nodeIntegration: prefs.nodeIntegration,
  });
  step('channels', { handle: [...recorded.handlers.keys()].sort(), on: [...recorded.listeners.keys()].sort() });
  step('menu', recorded.menu?.template.map((m) => m.label ?? m.role));

  const appPage = pathToFileURL(win.loaded).href;
  const frame = (url, parent = null) => ({ url, parent });
  const call = (channel, payload, senderFrame = frame(appPage)) =>
    recorded.handlers.get(channel)({ sender: win.webContents, senderFrame }, payload);

  // The page: the preload's bridge, its messages coming from the app page in the top frame.
  recorded.rendererEvent = () => ({ sender: win.webContents, senderFrame: frame(appPage) });
  loadPreload(prefs.preload);
  const studio = recorded.exposed.studio;
  step('bridge', Object.keys(studio ?? {}).sort());
  const commands = [];
  studio.onMenuCommand((command) => commands.push(command));
  const menuItems = recorded.menu.template.flatMap((m) => m.submenu ?? []);
  menuItems.find((i) => i.label === 'Export…').click();
  step('menu commands', commands);

  const requests = {};
  for (const url of [appPage, new URL('assets/x.js', appPage).href, 'file:///etc/passwd', `${appPage}/../../../../../../etc/passwd`, 'https://example.com/x.js']) {
    recorded.session.beforeRequest({ url }, (r) => (requests[url] = r.cancel ? 'cancelled' : 'allowed'));
  }
  step('requests', requests);

  const list = await studio.models.list({});
  step('models.list', list);
  step('models.list from a foreign page', await call('studio:models.list', {}, frame('https://evil.example/')));
  step('models.list from another file', await call('studio:models.list', {}, frame('file:///tmp/evil.html')));
  step('models.list from a subframe', await call('studio:models.list', {}, frame(appPage, frame(appPage))));
  step('models.list without a frame', await call('studio:models.list', {}, null));

  const toy = list.ok ? list.result.models.find((m) => m.name.includes('toy-shapes') && !m.error) : undefined;
  if (!toy) throw new Error('the toy model is not in models.list');
  const events = [];
  const done = new Promise((resolve) => {
    studio.onJobEvent((event) => {
      events.push(event.type);
      if (['done', 'failed', 'cancelled'].includes(event.type)) resolve(event);
    });
  });
  const submitted = await studio.jobs.generate({ model: toy.path, prompt: 'a red circle on a blue background', steps: 4, seed: 7, width: 64, height: 64 });
  step('jobs.generate', submitted);
  const finished = await done;
  step('job events', events);
  step('job end', finished);
  const imageId = finished.images?.[0]?.imageId;

  // Exports are confined to the output folder (issue 23 item 7): the user points it at this folder first, as in Settings.
  step('settings.set outputDir', await studio.settings.set({ outputDir: exportDir }));
  const out = `${exportDir}/generated.png`;
  step('images.export', await studio.images.export({ image: { imageId }, path: out, format: 'png' }));
  step('images.export from a foreign page', await call('studio:images.export', { image: { imageId }, path: `${exportDir}/evil.png` }, frame('https://evil.example/')));

  recorded.listeners.get('studio:shell:start-drag')({ sender: win.webContents, senderFrame: frame('https://evil.example/') }, imageId);
  step('drags from a foreign page', recorded.drags.length);
  studio.shell.startDrag(imageId);
  studio.shell.startDrag('no-such-image');
  const dragged = recorded.drags[0]?.file;
  step('drag', { file: dragged, mode: dragged ? (statSync(dragged).mode & 0o777) : null, dirMode: dragged ? (statSync(dirname(dragged)).mode & 0o777) : null });

  recorded.nextDialog = { canceled: false, filePaths: ['/models/here'] };
  step('pick folder', await studio.shell.pickFolder('Models folder'));
  step('pick folder from a foreign page', await Promise.resolve(recorded.handlers.get('studio:shell:pick-folder')({ sender: win.webContents, senderFrame: frame('https://evil.example/') }, 'x')).then(() => 'answered', (e) => `refused: ${e.message}`));

  const { app } = await import('electron');
  app.emit('will-quit');
  step('drag file after quit', dragged ? existsSync(dragged) : null);
  app.emit('window-all-closed');
  step('quit on last window', recorded.quit);
} catch (e) {
  report.error = e instanceof Error ? `${e.message}\n${e.stack}` : String(e);
}
writeFileSync(reportFile, JSON.stringify(report, null, 2));
process.exit(0);
