import { contextBridge, ipcRenderer } from 'electron';
import { buildStudioBridge } from './ipc-preload.ts';

contextBridge.exposeInMainWorld('studio', buildStudioBridge(ipcRenderer));
