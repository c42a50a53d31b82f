// One of the two files allowed to touch raw IPC (see eslint.config.js).
import { contextBridge, ipcRenderer, type IpcRenderer, type IpcRendererEvent } from 'electron';
import type { JobEvent } from '../engine/api/events.ts';
import { JOB_EVENT_CHANNEL, OPERATION_NAMES, channelOf, splitOperation } from '../engine/api/operations.ts';
import { MENU_COMMAND_CHANNEL, SHELL_CHANNELS } from './channels.ts';

type Invoker = (payload?: unknown) => Promise<unknown>;

/**
 * The object the preload exposes as `window.studio`: per-domain functions
 * (`studio.models.list(req)`), one per operation, plus a job-event subscription.
 * The renderer never sees ipcRenderer itself or a channel name.
 */
export function buildStudioBridge(ipc: Pick<IpcRenderer, 'invoke' | 'on' | 'removeListener' | 'send'>) {
  const domains: Record<string, Record<string, Invoker>> = {};
  for (const op of OPERATION_NAMES) {
    const [domain, method] = splitOperation(op);
    const channel = channelOf(op);
    (domains[domain] ??= {})[method] = (payload?: unknown) => ipc.invoke(channel, payload ?? {});
  }
  return {
    ...domains,
    onJobEvent(listener: (event: JobEvent) => void): () => void {
      const wrapped = (_e: IpcRendererEvent, event: JobEvent): void => listener(event);
      ipc.on(JOB_EVENT_CHANNEL, wrapped);
      return () => void ipc.removeListener(JOB_EVENT_CHANNEL, wrapped);
    },
    /** Desktop-only services: a native folder chooser and dragging a result out as a file. */
    shell: {
      pickFolder: (title?: string): Promise<unknown> => ipc.invoke(SHELL_CHANNELS.pickFolder, title ?? ''),
      openImage: (): Promise<unknown> => ipc.invoke(SHELL_CHANNELS.openImage),
      startDrag: (imageId: string): void => ipc.send(SHELL_CHANNELS.startDrag, imageId),
    },
    /** Commands chosen in the native menu; the payload is only ever a command id string. */
    onMenuCommand(listener: (command: string) => void): () => void {
      const wrapped = (_e: IpcRendererEvent, command: unknown): void => {
        if (typeof command === 'string') listener(command);
      };
      ipc.on(MENU_COMMAND_CHANNEL, wrapped);
      return () => void ipc.removeListener(MENU_COMMAND_CHANNEL, wrapped);
    },
  };
}

/** Exposes the bridge as `window.studio` (contextIsolation keeps everything else out of reach). */
export function exposeStudioBridge(): void {
  contextBridge.exposeInMainWorld('studio', buildStudioBridge(ipcRenderer));
}
