// Bundles the main process (ESM) and the sandboxed preload (CommonJS, as Electron's sandbox requires).
import { build } from 'esbuild';

import type { BuildOptions } from 'esbuild';

const common: BuildOptions = { bundle: true, platform: 'node', target: 'node20', external: ['electron', 'onnxruntime-node', 'sharp'] };
await build({ ...common, entryPoints: ['electron/main.ts'], outfile: 'electron/dist/main.js', format: 'esm' });
await build({ ...common, entryPoints: ['electron/preload.ts'], outfile: 'electron/dist/preload.cjs', format: 'cjs' });
