// Bundles the main process (ESM) and the sandboxed preload (CommonJS, as Electron's sandbox requires)
// into electron/dist, or the folder given as the first argument (tests build into a staging copy).
import { join } from 'node:path';
import { build } from 'esbuild';

const outDir = process.argv[2] ?? 'electron/dist';

/**
 * The main bundle holds our own code only: every npm package stays an import resolved from
 * node_modules at run time (electron-builder ships the production dependencies). Bundling
 * them would turn CommonJS packages such as yaml into ESM code whose `require("process")`
 * throws, and would copy native addons' loaders away from their binaries.
 */
await build({
  entryPoints: ['electron/main.ts'],
  outfile: join(outDir, 'main.js'),
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  packages: 'external',
  logLevel: 'warning',
});

// The sandboxed preload can require only `electron` (and a few polyfilled built-ins), so it carries everything else.
await build({
  entryPoints: ['electron/preload.ts'],
  outfile: join(outDir, 'preload.cjs'),
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  external: ['electron'],
  logLevel: 'warning',
});
