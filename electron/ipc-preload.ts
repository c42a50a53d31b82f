// One of the two files allowed to touch raw IPC (see eslint.config.js).
import { contextBridge, ipcRenderer } from 'electron';
import { buildStudioBridge } from './bridge.ts';

/** Exposes the bridge as `window.studio` (contextIsolation keeps everything else out of reach). */
export function exposeStudioBridge(): void {
  contextBridge.exposeInMainWorld('studio', buildStudioBridge(ipcRenderer));
}
