import { ESLint } from 'eslint';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../engine/paths.ts';

/** The lint rule that keeps raw ipcMain/ipcRenderer/contextBridge inside the two IPC files, however they are reached. */
const eslint = new ESLint({ cwd: PACKAGE_ROOT });
const rawIpcErrors = async (file: string, code: string): Promise<number> => {
  const [result] = await eslint.lintText(code, { filePath: join(PACKAGE_ROOT, file) });
  return result.messages.filter((m) => /Raw IPC lives only in/.test(m.message)).length;
};

const samples = {
  named: "import { ipcMain } from 'electron';\nipcMain.handle('x', () => 1);\n",
  defaultImport: "import electron from 'electron';\nelectron.ipcMain.handle('x', () => 1);\n",
  namespace: "import * as electron from 'electron';\nconst { ipcRenderer } = electron;\nvoid ipcRenderer.invoke('x');\n",
};

describe('raw IPC only in electron/ipc-main.ts and electron/ipc-preload.ts', () => {
  it('is refused elsewhere in the shell and in tests, by named, default or namespace import', async () => {
    for (const file of ['electron/main.ts', 'electron/menu.ts', 'test/electron/x.test.ts']) {
      for (const [how, code] of Object.entries(samples)) expect(await rawIpcErrors(file, code), `${how} in ${file}`).toBeGreaterThan(0);
    }
  });

  it('is allowed in the two IPC files', async () => {
    for (const file of ['electron/ipc-main.ts', 'electron/ipc-preload.ts']) {
      for (const [how, code] of Object.entries(samples)) expect(await rawIpcErrors(file, code), `${how} in ${file}`).toBe(0);
    }
  });
});
