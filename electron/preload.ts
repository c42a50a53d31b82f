import { exposeStudioBridge } from './ipc-preload.ts';

exposeStudioBridge();
