// One of the two files allowed to touch raw IPC (see eslint.config.js).
import { ipcMain, type IpcMain, type IpcMainEvent, type IpcMainInvokeEvent, type WebContents } from 'electron';
import type { Handlers } from '../engine/api/contract.ts';
import { dispatch, type Envelope } from '../engine/api/dispatch.ts';
import { StudioError } from '../engine/api/errors.ts';
import type { JobEvent } from '../engine/api/events.ts';
import { JOB_EVENT_CHANNEL, OPERATION_NAMES, channelOf } from '../engine/api/operations.ts';
import type { OpenedImage } from './bridge.ts';
import { MENU_COMMAND_CHANNEL, SHELL_CHANNELS } from './channels.ts';
import { isAppPage } from './security.ts';

/** Decides whether an IPC message comes from a frame allowed to use the main process. */
export type SenderCheck = (event: Pick<IpcMainEvent | IpcMainInvokeEvent, 'senderFrame'>) => boolean;

/**
 * Only the app's own page in a window's top frame may call the main process: a frame that
 * navigated elsewhere, or an embedded one, is refused even if it reached the preload.
 */
export function appFrameOnly(appIndexHtml: string): SenderCheck {
  return ({ senderFrame }) => !!senderFrame && !senderFrame.parent && isAppPage(senderFrame.url, appIndexHtml);
}

const untrusted = (): StudioError => new StudioError('UNAUTHORIZED', 'Refused a request from a page that is not the studio');
const refusal = (): Envelope => ({ ok: false, error: untrusted().toJSON() });

/**
 * Registers one invoke handler per contract operation. Payloads are validated by
 * `dispatch` here, at the main-process edge, whatever the renderer sends.
 */
export function registerIpcHandlers(handlers: Handlers, trusted: SenderCheck, ipc: Pick<IpcMain, 'handle'> = ipcMain): string[] {
  return OPERATION_NAMES.map((op) => {
    const channel = channelOf(op);
    ipc.handle(channel, async (event, payload: unknown) => (trusted(event) ? dispatch(handlers, op, payload) : refusal()));
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

export interface ShellServices {
  /** A native folder chooser; null when cancelled. */
  pickFolder(contents: WebContents, title: string): Promise<string | null>;
  /** The native Open dialog for images (a menu command carries no user gesture, so <input type=file> cannot open). */
  openImage(contents: WebContents): Promise<OpenedImage | null>;
  /** Starts dragging a result out of the window as a PNG file (must run during the renderer's dragstart). */
  startDrag(contents: WebContents, imageId: string): void;
}

/** Registers the shell channels, validating their small payloads here at the edge. */
export function registerShellHandlers(services: ShellServices, trusted: SenderCheck, ipc: Pick<IpcMain, 'handle' | 'on'> = ipcMain): string[] {
  const refuse = (): never => {
    throw untrusted();
  };
  ipc.handle(SHELL_CHANNELS.pickFolder, async (event, title: unknown) =>
    trusted(event) ? services.pickFolder(event.sender, typeof title === 'string' && title ? title.slice(0, 200) : 'Choose a folder') : refuse(),
  );
  ipc.handle(SHELL_CHANNELS.openImage, async (event) => (trusted(event) ? services.openImage(event.sender) : refuse()));
  ipc.on(SHELL_CHANNELS.startDrag, (event, imageId: unknown) => {
    if (!trusted(event) || typeof imageId !== 'string' || !/^[\w-]{1,200}$/.test(imageId)) return;
    try {
      services.startDrag(event.sender, imageId);
    } catch {
      // A result that is gone (or unreadable) is simply not dragged; a throw here would crash the main process.
    }
  });
  return Object.values(SHELL_CHANNELS);
}
