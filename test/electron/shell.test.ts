import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import type { MenuItemConstructorOptions } from 'electron';
import { COMMANDS } from '../../renderer/src/editor/shortcuts.ts';
import { CSP, hardenContents, hardenSession, isAllowedUrl } from '../../electron/security.ts';
import { DEFAULT_WINDOW, fitToDisplays, readWindowState, writeWindowState } from '../../electron/windowState.ts';

let template: MenuItemConstructorOptions[] = [];
vi.mock('electron', () => ({
  app: { setAboutPanelOptions: vi.fn(), getVersion: () => '0.1.0' },
  shell: { openExternal: vi.fn() },
  Menu: { buildFromTemplate: (t: MenuItemConstructorOptions[]) => (template = t), setApplicationMenu: vi.fn() },
}));
const { buildMenu } = await import('../../electron/menu.ts');

describe('window state', () => {
  const screen = [{ x: 0, y: 0, width: 1920, height: 1040 }];

  it('round-trips through a file and falls back to defaults on damage', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'ls-win-')), 'w.json');
    expect(readWindowState(file)).toEqual(DEFAULT_WINDOW);
    writeWindowState(file, { x: 10, y: 20, width: 1000, height: 700, maximized: true });
    expect(readWindowState(file)).toEqual({ x: 10, y: 20, width: 1000, height: 700, maximized: true });
    writeFileSync(file, '{not json');
    expect(readWindowState(file)).toEqual(DEFAULT_WINDOW);
  });

  it('keeps a visible window where it was', () => {
    expect(fitToDisplays({ x: 100, y: 50, width: 1200, height: 800, maximized: false }, screen)).toEqual({ x: 100, y: 50, width: 1200, height: 800, maximized: false });
  });

  it('brings back a window saved on a monitor that is gone, no larger than the screen', () => {
    const lost = fitToDisplays({ x: 3000, y: 100, width: 2500, height: 1400, maximized: false }, screen);
    expect(lost).toEqual({ width: 1920, height: 1040, maximized: false });
    const half = fitToDisplays({ x: 1800, y: 900, width: 1000, height: 700, maximized: false }, screen);
    expect(half).toMatchObject({ x: 920, y: 340, width: 1000, height: 700 });
  });
});

describe('security', () => {
  it('allows only the app’s own content', () => {
    const app = '/app/renderer/dist';
    expect(isAllowedUrl('file:///app/renderer/dist/index.html', app)).toBe(true);
    expect(isAllowedUrl('file:///app/renderer/dist/assets/index-abc.js', app)).toBe(true);
    // A packaged app's install path, percent-encoded in the URL.
    expect(isAllowedUrl('file:///opt/Latent%20Studio/resources/app.asar/renderer/dist/index.html', '/opt/Latent Studio/resources/app.asar/renderer/dist')).toBe(true);
    expect(isAllowedUrl('https://example.com/x.js', app)).toBe(false);
    expect(isAllowedUrl('http://127.0.0.1:7860/', app)).toBe(false);
    expect(CSP).toContain("script-src 'self'");
    expect(CSP).toContain("object-src 'none'");
    expect(CSP).not.toContain('unsafe');
  });

  it('refuses file:// URLs outside the built UI, however they are spelled', () => {
    const app = '/app/renderer/dist';
    for (const url of [
      'file:///etc/passwd',
      'file:///home/user/.ssh/id_ed25519',
      'file:///app/renderer/dist/../../../etc/passwd',
      'file:///app/renderer/dist/%2e%2e/%2e%2e/secret',
      'file:///app/renderer/dist%2f..%2f..%2fetc/passwd',
      'file:///app/renderer/dist-evil/index.html',
      'file:///app/renderer/dist',
      'file://evil.example/app/renderer/dist/index.html',
      'file:',
    ]) {
      expect(isAllowedUrl(url, app), url).toBe(false);
    }
  });

  it('takes IPC only from the app page in a top frame', async () => {
    const { appFrameOnly } = await import('../../electron/ipc-main.ts');
    const trusted = appFrameOnly('/app/renderer/dist/index.html');
    const frame = (url: string, parent: unknown = null) => ({ senderFrame: { url, parent } as never });
    expect(trusted(frame('file:///app/renderer/dist/index.html'))).toBe(true);
    expect(trusted(frame('file:///app/renderer/dist/index.html?x=1#top'))).toBe(true);
    expect(trusted(frame('file:///app/renderer/dist/other.html'))).toBe(false);
    expect(trusted(frame('file:///tmp/index.html'))).toBe(false);
    expect(trusted(frame('https://evil.example/index.html'))).toBe(false);
    expect(trusted(frame('file:///app/renderer/dist/index.html', {}))).toBe(false);
    expect(trusted({ senderFrame: null })).toBe(false);
  });

  it('cancels remote requests, denies permissions, blocks navigation and new windows', () => {
    let before: ((d: { url: string }, cb: (r: { cancel: boolean }) => void) => void) | undefined;
    let permission: ((wc: unknown, p: string, cb: (ok: boolean) => void) => void) | undefined;
    const session = {
      webRequest: { onBeforeRequest: (fn: typeof before) => (before = fn), onHeadersReceived: vi.fn() },
      setPermissionRequestHandler: (fn: typeof permission) => (permission = fn),
      setPermissionCheckHandler: vi.fn(),
    };
    hardenSession(session as never, '/app');
    const answers: boolean[] = [];
    before!({ url: 'https://cdn.example/x.js' }, (r) => answers.push(r.cancel));
    before!({ url: 'file:///app/index.html' }, (r) => answers.push(r.cancel));
    expect(answers).toEqual([true, false]);
    const granted: boolean[] = [];
    permission!({}, 'geolocation', (ok) => granted.push(ok));
    permission!({}, 'clipboard-sanitized-write', (ok) => granted.push(ok));
    expect(granted).toEqual([false, true]);

    const handlers = new Map<string, (e: { preventDefault(): void }, url?: string) => void>();
    let openHandler: (() => { action: string }) | undefined;
    hardenContents({ on: (ev: string, fn: never) => handlers.set(ev, fn), setWindowOpenHandler: (fn: typeof openHandler) => (openHandler = fn) } as never, 'file:///app/index.html');
    const prevented = (ev: string, url: string): boolean => {
      let p = false;
      handlers.get(ev)!({ preventDefault: () => (p = true) }, url);
      return p;
    };
    expect(prevented('will-navigate', 'https://evil.example/')).toBe(true);
    expect(prevented('will-navigate', 'file:///app/index.html')).toBe(false);
    expect(prevented('will-attach-webview', '')).toBe(true);
    expect(openHandler!()).toEqual({ action: 'deny' });
  });
});

describe('menu', () => {
  it('has File, Edit, View, Help with the studio shortcuts; single keys are shown, not registered', () => {
    const sent: string[] = [];
    buildMenu((c) => sent.push(c), { devTools: false });
    const labels = template.map((m) => m.label ?? m.role);
    expect(labels).toEqual(expect.arrayContaining(['File', 'Edit', 'View', 'Help']));
    const items = template.flatMap((m) => (m.submenu as MenuItemConstructorOptions[]) ?? []);
    const byLabel = (l: string) => items.find((i) => i.label === l)!;
    expect(byLabel('Open Image…').accelerator).toBe('CmdOrCtrl+O');
    expect(byLabel('Export…').accelerator).toBe('CmdOrCtrl+E');
    expect(byLabel('Undo').accelerator).toBe('CmdOrCtrl+Z');
    expect(byLabel('Redo').accelerator).toBe('CmdOrCtrl+Shift+Z');
    for (const l of ['Brush', 'Eraser', 'Smaller Brush', 'Bigger Brush', 'Swap Before/After']) expect(byLabel(l).registerAccelerator, l).toBe(false);
    for (const i of items) if (i.click && i.label !== 'Project Website') (i.click as () => void)();
    // Every command the menu sends is one the renderer knows.
    for (const c of sent) expect(Object.keys(COMMANDS)).toContain(c);
    expect(sent).toContain('file.export');
  });
});

describe('packaging', () => {
  it('electron-builder targets Linux (AppImage, deb), Windows (NSIS) and macOS (dmg)', async () => {
    const { readFileSync } = await import('node:fs');
    const { PACKAGE_ROOT } = await import('../../engine/paths.ts');
    const build = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')).build;
    expect(build.linux.target).toEqual(expect.arrayContaining(['AppImage', 'deb']));
    expect(build.win.target).toContain('nsis');
    expect(build.mac.target).toContain('dmg');
    expect(build.files).toContain('electron/dist/**');
  });
});

describe('desktop shell channels', () => {
  it('validate their payloads at the main-process edge', async () => {
    const { registerShellHandlers } = await import('../../electron/ipc-main.ts');
    const { SHELL_CHANNELS } = await import('../../electron/channels.ts');
    const handles = new Map<string, (e: { sender: unknown }, p: unknown) => unknown>();
    const ons = new Map<string, (e: { sender: unknown }, p: unknown) => void>();
    const picked: string[] = [];
    const dragged: string[] = [];
    const channels = registerShellHandlers(
      { pickFolder: async (_c, title) => (picked.push(title), '/models'), openImage: async () => null, startDrag: (_c, id) => void dragged.push(id) },
      () => true,
      { handle: (c: string, fn: never) => handles.set(c, fn), on: (c: string, fn: never) => ons.set(c, fn) } as never,
    );
    expect(channels.sort()).toEqual(Object.values(SHELL_CHANNELS).sort());
    expect(await handles.get(SHELL_CHANNELS.pickFolder)!({ sender: {} }, 'Models folder')).toBe('/models');
    await handles.get(SHELL_CHANNELS.pickFolder)!({ sender: {} }, { evil: true });
    expect(picked).toEqual(['Models folder', 'Choose a folder']);
    ons.get(SHELL_CHANNELS.startDrag)!({ sender: {} }, 'abc-123');
    ons.get(SHELL_CHANNELS.startDrag)!({ sender: {} }, '../../etc/passwd');
    ons.get(SHELL_CHANNELS.startDrag)!({ sender: {} }, 42);
    expect(dragged).toEqual(['abc-123']);
  });
});
