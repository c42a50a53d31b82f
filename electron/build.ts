// Bundles the main process (ESM) and the sandboxed preload (CommonJS, as Electron's sandbox requires).
import { build } from 'esbuild';

/**
 * The main bundle holds our own code only: every npm package stays an import resolved from
 * node_modules at run time (electron-builder ships the production dependencies). Bundling
 * them would turn CommonJS packages such as yaml into ESM code whose `require("process")`
 * throws, and would copy native addons' loaders away from their binaries.
 */
await build({
  entryPoints: ['electron/main.ts'],
  outfile: 'electron/dist/main.js',
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
  outfile: 'electron/dist/preload.cjs',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  external: ['electron'],
  logLevel: 'warning',
});
