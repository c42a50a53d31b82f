import { app, Menu, shell, type MenuItemConstructorOptions } from 'electron';

/** The renderer's command ids (renderer/src/editor/shortcuts.ts); the menu only names them. */
export type MenuCommand =
  | 'file.open' | 'file.export' | 'edit.undo' | 'edit.redo' | 'tool.brush' | 'tool.eraser' | 'brush.smaller' | 'brush.bigger'
  | 'view.swap' | 'view.fit' | 'view.actual' | 'view.zoomIn' | 'view.zoomOut' | 'job.run' | 'help.shortcuts';

const PROJECT_URL = 'https://github.com/latent-studio/latent-studio';

/**
 * File, Edit, View and Help. Ctrl/Cmd shortcuts are real accelerators; single keys (B, E,
 * [, ], X) are shown but not registered (`registerAccelerator: false`), so typing in a
 * prompt is never hijacked — the renderer handles them when focus is not in a text field.
 */
export function buildMenu(send: (command: MenuCommand) => void, options: { devTools: boolean }): void {
  const item = (label: string, command: MenuCommand, accelerator?: string, register = true): MenuItemConstructorOptions => ({
    label,
    click: () => send(command),
    ...(accelerator ? { accelerator, registerAccelerator: register } : {}),
  });
  const isMac = process.platform === 'darwin';
  const template: MenuItemConstructorOptions[] = [
    ...(isMac ? [{ role: 'appMenu' as const }] : []),
    {
      label: 'File',
      submenu: [
        item('Open Image…', 'file.open', 'CmdOrCtrl+O'),
        item('Export…', 'file.export', 'CmdOrCtrl+E'),
        { type: 'separator' },
        item('Run', 'job.run', 'CmdOrCtrl+Enter'),
        { type: 'separator' },
        isMac ? { role: 'close' } : { role: 'quit' },
      ],
    },
    {
      label: 'Edit',
      submenu: [
        item('Undo', 'edit.undo', 'CmdOrCtrl+Z'),
        item('Redo', 'edit.redo', 'CmdOrCtrl+Shift+Z'),
        { type: 'separator' },
        { role: 'cut' },
        { role: 'copy' },
        { role: 'paste' },
        { role: 'selectAll' },
        { type: 'separator' },
        item('Brush', 'tool.brush', 'B', false),
        item('Eraser', 'tool.eraser', 'E', false),
        item('Smaller Brush', 'brush.smaller', '[', false),
        item('Bigger Brush', 'brush.bigger', ']', false),
      ],
    },
    {
      label: 'View',
      submenu: [
        item('Fit to Window', 'view.fit', 'CmdOrCtrl+0'),
        item('Actual Size', 'view.actual', 'CmdOrCtrl+1'),
        item('Zoom In', 'view.zoomIn', 'CmdOrCtrl+='),
        item('Zoom Out', 'view.zoomOut', 'CmdOrCtrl+-'),
        { type: 'separator' },
        item('Swap Before/After', 'view.swap', 'X', false),
        { type: 'separator' },
        { role: 'togglefullscreen' },
        ...(options.devTools ? [{ role: 'toggleDevTools' as const }] : []),
      ],
    },
    {
      label: 'Help',
      submenu: [
        item('Keyboard Shortcuts', 'help.shortcuts', '?', false),
        { label: 'Project Website', click: () => void shell.openExternal(PROJECT_URL) },
        ...(isMac ? [] : [{ role: 'about' as const }]),
      ],
    },
  ];
  app.setAboutPanelOptions({ applicationName: 'Latent Studio', applicationVersion: app.getVersion() });
  Menu.setApplicationMenu(Menu.buildFromTemplate(template));
}
