import tseslint from 'typescript-eslint';

const RAW_IPC_MESSAGE = 'Raw IPC lives only in electron/ipc-main.ts and electron/ipc-preload.ts; use their typed wrappers.';
const rawIpc = { name: 'electron', importNames: ['ipcMain', 'ipcRenderer', 'contextBridge'], message: RAW_IPC_MESSAGE };
// The same objects reached through a default or namespace import (`electron.ipcMain`, `const { ipcRenderer } = electron`).
const rawIpcProperties = ['ipcMain', 'ipcRenderer', 'contextBridge'].map((property) => ({ property, message: RAW_IPC_MESSAGE }));

const ENGINE_PATHS = [{ name: 'electron', message: 'The engine never imports electron (DESIGN.md).' }];
const ENGINE_PATTERNS = [{ group: ['**/renderer/**', '**/electron/**'], message: 'The engine does not depend on the UI or the shell.' }];
const RENDERER_PATHS = [{ name: 'electron', message: 'The renderer talks to the engine through the preload bridge or HTTP.' }];
const RENDERER_PATTERNS = [
  {
    regex: '(^|/)engine/(?!api/operations\\.ts$)',
    allowTypeImports: true,
    message: 'Renderer code may import only types from engine/api (and engine/api/operations.ts).',
  },
  { regex: '^(node:|fs$|path$|child_process$|os$)', message: 'No Node built-ins in the renderer.' },
];

export default tseslint.config(
  { ignores: ['**/dist/**', 'node_modules/**', 'models/**/runs/**', 'test-output/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-restricted-imports': ['error', { paths: [rawIpc] }],
      'no-restricted-properties': ['error', ...rawIpcProperties],
    },
  },
  {
    // The engine runs in the CLI, tests, the server and Electron's main process alike.
    files: ['engine/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', { paths: ENGINE_PATHS, patterns: ENGINE_PATTERNS }],
    },
  },
  {
    // The graph layer builds and runs ONNX graphs for any network; networks depend on it, never the reverse.
    files: ['engine/graph/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: ENGINE_PATHS,
          patterns: [...ENGINE_PATTERNS, { group: ['**/models/**', '**/pipelines/**', '**/controllers/**', '**/denoiser/**'], message: 'engine/graph never imports models, controllers or pipelines (see its CONTEXT.md).' }],
        },
      ],
    },
  },
  {
    // The renderer sees only the contract's types and the plain operation list, never engine runtime code.
    files: ['renderer/src/**/*.{ts,tsx}'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', { paths: RENDERER_PATHS, patterns: RENDERER_PATTERNS }],
    },
  },
  {
    // The editor core (mask strokes, history, prompt diff, viewport, recipes) runs without React, zustand or a DOM.
    files: ['renderer/src/editor/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: RENDERER_PATHS,
          patterns: [...RENDERER_PATTERNS, { group: ['react', 'react/*', 'react-dom', 'react-dom/*', 'zustand', 'zustand/*'], message: 'The editor core is framework-free (see its CONTEXT.md).' }],
        },
      ],
      'no-restricted-globals': ['error', ...['window', 'document', 'navigator', 'localStorage', 'HTMLElement', 'HTMLCanvasElement', 'requestAnimationFrame'].map((name) => ({ name, message: 'The editor core never touches the DOM.' }))],
    },
  },
  {
    files: ['electron/ipc-main.ts', 'electron/ipc-preload.ts'],
    rules: { '@typescript-eslint/no-restricted-imports': 'off', 'no-restricted-properties': 'off' },
  },
);
