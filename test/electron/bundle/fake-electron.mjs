// A stand-in for the `electron` module, so the built main bundle can run in plain Node:
// every window, IPC handler, dialog, menu and app event it touches is recorded here.
import { EventEmitter } from 'node:events';

export const recorded = {
  /** ipcMain.handle channel → handler */
  handlers: new Map(),
  /** ipcMain.on channel → listener */
  listeners: new Map(),
  windows: [],
  dialogs: [],
  drags: [],
  external: [],
  menu: null,
  session: { beforeRequest: null, headers: null, permission: null },
  appEvents: [],
  quit: false,
  /** What the next dialog.showOpenDialog resolves to. */
  nextDialog: { canceled: true, filePaths: [] },
  /** contextBridge.exposeInMainWorld key → API (what the page would see on window). */
  exposed: {},
  /** ipcRenderer.on channel → listeners (main → renderer messages). */
  rendererListeners: new Map(),
  /** The IPC event main-process handlers get for the renderer's messages; the driver sets it. */
  rendererEvent: () => ({ sender: null, senderFrame: null }),
};

class FakeWebContents extends EventEmitter {
  sent = [];
  destroyed = false;
  windowOpenHandler = null;
  send(channel, payload) {
    this.sent.push({ channel, payload });
    this.emit('sent', channel, payload);
    for (const fn of recorded.rendererListeners.get(channel) ?? []) fn({}, payload);
  }
  isDestroyed() {
    return this.destroyed;
  }
  setWindowOpenHandler(fn) {
    this.windowOpenHandler = fn;
  }
  startDrag(item) {
    recorded.drags.push(item);
  }
}

export class BrowserWindow extends EventEmitter {
  static all = [];
  constructor(options) {
    super();
    this.options = options;
    this.webContents = new FakeWebContents();
    this.loaded = null;
    this.destroyed = false;
    BrowserWindow.all.push(this);
    recorded.windows.push(this);
  }
  loadFile(file) {
    this.loaded = file;
    return Promise.resolve();
  }
  maximize() {}
  show() {}
  isDestroyed() {
    return this.destroyed;
  }
  isMaximized() {
    return false;
  }
  getNormalBounds() {
    return { x: 0, y: 0, width: this.options.width, height: this.options.height };
  }
  static fromWebContents(contents) {
    return BrowserWindow.all.find((w) => w.webContents === contents) ?? null;
  }
  static getFocusedWindow() {
    return BrowserWindow.all[0] ?? null;
  }
  static getAllWindows() {
    return [...BrowserWindow.all];
  }
}

let markReady;
const readyPromise = new Promise((resolve) => (markReady = resolve));

class FakeApp extends EventEmitter {
  isPackaged = false;
  constructor() {
    super();
    this.userData = process.env.FAKE_ELECTRON_USER_DATA ?? '/nonexistent';
  }
  emit(event, ...args) {
    recorded.appEvents.push(event);
    return super.emit(event, ...args);
  }
  whenReady() {
    return readyPromise;
  }
  getPath(name) {
    return `${this.userData}/${name}`;
  }
  getVersion() {
    return '0.0.0-test';
  }
  setAboutPanelOptions() {}
  quit() {
    recorded.quit = true;
  }
}

export const app = new FakeApp();

/** Called by the driver: what Electron does once it has started. */
export function becomeReady() {
  app.emit('ready');
  markReady();
}

export const ipcMain = {
  handle: (channel, fn) => void recorded.handlers.set(channel, fn),
  on: (channel, fn) => void recorded.listeners.set(channel, fn),
  removeHandler: (channel) => void recorded.handlers.delete(channel),
};

// The renderer side, for the preload bundle: invoke/send reach the handlers main registered.
export const contextBridge = { exposeInMainWorld: (key, api) => void (recorded.exposed[key] = api) };

export const ipcRenderer = {
  invoke: async (channel, ...args) => {
    const handler = recorded.handlers.get(channel);
    if (!handler) throw new Error(`No handler registered for '${channel}'`);
    return handler(recorded.rendererEvent(), ...args);
  },
  send: (channel, ...args) => void recorded.listeners.get(channel)?.(recorded.rendererEvent(), ...args),
  on: (channel, fn) => void recorded.rendererListeners.set(channel, [...(recorded.rendererListeners.get(channel) ?? []), fn]),
  removeListener: (channel, fn) => void recorded.rendererListeners.set(channel, (recorded.rendererListeners.get(channel) ?? []).filter((f) => f !== fn)),
};

export const dialog = {
  showOpenDialog: async (...args) => {
    recorded.dialogs.push(args.at(-1));
    return recorded.nextDialog;
  },
};

export const nativeImage = {
  createFromBuffer: (buffer) => ({ bytes: buffer.length, resize: (size) => ({ bytes: buffer.length, size }) }),
};

export const screen = { getAllDisplays: () => [{ workArea: { x: 0, y: 0, width: 1920, height: 1080 } }] };

export const session = {
  defaultSession: {
    webRequest: {
      onBeforeRequest: (fn) => void (recorded.session.beforeRequest = fn),
      onHeadersReceived: (fn) => void (recorded.session.headers = fn),
    },
    setPermissionRequestHandler: (fn) => void (recorded.session.permission = fn),
    setPermissionCheckHandler: () => {},
  },
};

export const Menu = {
  buildFromTemplate: (template) => ({ template }),
  setApplicationMenu: (menu) => void (recorded.menu = menu),
};

export const shell = { openExternal: async (url) => void recorded.external.push(url) };

export default { app, BrowserWindow, contextBridge, dialog, ipcMain, ipcRenderer, Menu, nativeImage, screen, session, shell };
