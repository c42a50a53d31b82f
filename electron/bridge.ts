import type { OperationName, RequestOf, ResponseOf } from '../engine/api/contract.ts';
import type { Envelope } from '../engine/api/dispatch.ts';
import type { JobEvent } from '../engine/api/events.ts';
import { JOB_EVENT_CHANNEL, OPERATION_NAMES, channelOf, splitOperation } from '../engine/api/operations.ts';
import { MENU_COMMAND_CHANNEL, SHELL_CHANNELS } from './channels.ts';

/**
 * The part of ipcRenderer the bridge uses, declared structurally so that the renderer can
 * take `StudioBridge`'s type from this file without Electron's or Node's types.
 */
export interface BridgeIpc {
  invoke(channel: string, ...args: unknown[]): Promise<unknown>;
  send(channel: string, ...args: unknown[]): void;
  on(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown;
  removeListener(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown;
}

type DomainOf<Op extends string> = Op extends `${infer D}.${string}` ? D : never;
type MethodOf<Op extends string> = Op extends `${string}.${infer M}` ? M : never;

/** `studio.models.list(request)` and so on: one function per contract operation, typed by the contract. */
export type OperationBridge = {
  [D in DomainOf<OperationName>]: {
    [Op in OperationName as DomainOf<Op> extends D ? MethodOf<Op> : never]: (request: RequestOf<Op>) => Promise<Envelope<ResponseOf<Op>>>;
  };
};

/** An image file chosen in the native Open dialog. */
export interface OpenedImage {
  name: string;
  mime: string;
  base64: string;
}

/**
 * The object the preload exposes as `window.studio`: per-domain functions, one per
 * operation, a job-event subscription, the desktop shell and native-menu commands.
 * The renderer never sees ipcRenderer itself or a channel name.
 */
export function buildStudioBridge(ipc: BridgeIpc) {
  const domains: Record<string, Record<string, (payload?: unknown) => Promise<unknown>>> = {};
  for (const op of OPERATION_NAMES) {
    const [domain, method] = splitOperation(op);
    const channel = channelOf(op);
    (domains[domain] ??= {})[method] = (payload?: unknown) => ipc.invoke(channel, payload ?? {});
  }
  return {
    // Built from the same operation list the type is derived from.
    ...(domains as OperationBridge),
    onJobEvent(listener: (event: JobEvent) => void): () => void {
      const wrapped = (_e: unknown, event: unknown): void => listener(event as JobEvent);
      ipc.on(JOB_EVENT_CHANNEL, wrapped);
      return () => void ipc.removeListener(JOB_EVENT_CHANNEL, wrapped);
    },
    /** Desktop-only services: a native folder chooser, the native Open dialog, dragging a result out as a file. */
    shell: {
      /** The chosen folder, or null when cancelled. */
      pickFolder: (title?: string): Promise<string | null> => ipc.invoke(SHELL_CHANNELS.pickFolder, title ?? '') as Promise<string | null>,
      /** The chosen image, or null when cancelled. */
      openImage: (): Promise<OpenedImage | null> => ipc.invoke(SHELL_CHANNELS.openImage) as Promise<OpenedImage | null>,
      startDrag: (imageId: string): void => ipc.send(SHELL_CHANNELS.startDrag, imageId),
    },
    /** Commands chosen in the native menu; the payload is only ever a command id string. */
    onMenuCommand(listener: (command: string) => void): () => void {
      const wrapped = (_e: unknown, command: unknown): void => {
        if (typeof command === 'string') listener(command);
      };
      ipc.on(MENU_COMMAND_CHANNEL, wrapped);
      return () => void ipc.removeListener(MENU_COMMAND_CHANNEL, wrapped);
    },
  };
}

/** The type of `window.studio` in the desktop app, derived from what the preload builds. */
export type StudioBridge = ReturnType<typeof buildStudioBridge>;
