// One of the two files allowed to touch raw IPC (see eslint.config.js).
import { ipcMain, type IpcMain, type WebContents } from 'electron';
import type { Handlers } from '../engine/api/contract.ts';
import { dispatch } from '../engine/api/dispatch.ts';
import type { JobEvent } from '../engine/api/events.ts';
import { JOB_EVENT_CHANNEL, OPERATION_NAMES, channelOf } from '../engine/api/operations.ts';

/** Main → renderer: a command chosen in the native menu (ids as in the renderer's shortcuts). */
export const MENU_COMMAND_CHANNEL = 'studio:menu-command';

/**
 * Registers one invoke handler per contract operation. Payloads are validated by
 * `dispatch` here, at the main-process edge, whatever the renderer sends.
 */
export function registerIpcHandlers(handlers: Handlers, ipc: Pick<IpcMain, 'handle'> = ipcMain): string[] {
  return OPERATION_NAMES.map((op) => {
    const channel = channelOf(op);
    ipc.handle(channel, (_event, payload: unknown) => dispatch(handlers, op, payload));
    return channel;
  });
}

/** Forwards job events to a window for as long as it lives. */
export function forwardJobEvents(
  onJobEvent: (listener: (e: JobEvent) => void) => () => void,
  contents: Pick<WebContents, 'send' | 'isDestroyed' | 'once'>,
): () => void {
  const off = onJobEvent((event) => {
    if (!contents.isDestroyed()) contents.send(JOB_EVENT_CHANNEL, event);
  });
  contents.once('destroyed', off);
  return off;
}

/** Sends a native-menu command to a window's renderer. */
export function sendMenuCommand(contents: Pick<WebContents, 'send' | 'isDestroyed'>, command: string): void {
  if (!contents.isDestroyed()) contents.send(MENU_COMMAND_CHANNEL, command);
}

/** Desktop-only services that are not part of the Studio API (the server has no windows or desktop). */
export const SHELL_CHANNELS = {
  pickFolder: 'studio:shell:pick-folder',
  openImage: 'studio:shell:open-image',
  startDrag: 'studio:shell:start-drag',
} as const;

/** An image file chosen in the native Open dialog. */
export interface OpenedImage {
  name: string;
  mime: string;
  base64: string;
}

export interface ShellServices {
  /** A native folder chooser; null when cancelled. */
  pickFolder(contents: WebContents, title: string): Promise<string | null>;
  /** The native Open dialog for images (a menu command carries no user gesture, so <input type=file> cannot open). */
  openImage(contents: WebContents): Promise<OpenedImage | null>;
  /** Starts dragging a result out of the window as a PNG file (must run during the renderer's dragstart). */
  startDrag(contents: WebContents, imageId: string): void;
}

/** Registers the shell channels, validating their small payloads here at the edge. */
export function registerShellHandlers(services: ShellServices, ipc: Pick<IpcMain, 'handle' | 'on'> = ipcMain): string[] {
  ipc.handle(SHELL_CHANNELS.pickFolder, (event, title: unknown) =>
    services.pickFolder(event.sender, typeof title === 'string' && title ? title.slice(0, 200) : 'Choose a folder'),
  );
  ipc.handle(SHELL_CHANNELS.openImage, (event) => services.openImage(event.sender));
  ipc.on(SHELL_CHANNELS.startDrag, (event, imageId: unknown) => {
    if (typeof imageId === 'string' && /^[\w-]{1,200}$/.test(imageId)) services.startDrag(event.sender, imageId);
  });
  return Object.values(SHELL_CHANNELS);
}
