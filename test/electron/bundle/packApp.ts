import { execFileSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { PACKAGE_ROOT, RENDERER_DIST_DIR } from '../../../engine/paths.ts';
import { buildElectronBundles } from './runMainBundle.ts';

/** Folders of the checkout that are never app input (and would only slow the copy). */
const NOT_COPIED = new Set(['node_modules', '.git', 'release', 'test-output', '.cache', '.scratch']);

export interface PackedApp {
  /** Scratch folder holding the staging copy and the output; delete it when done. */
  work: string;
  /** The unpacked app folder electron-builder's `dir` target wrote (linux-unpacked). */
  appOutDir: string;
  /** <appOutDir>/resources */
  resources: string;
}

/**
 * Packages the app with electron-builder's `dir` target and the configuration in package.json,
 * exactly as `npm run dist` would before making installers, except for two things:
 * - Electron's binary is a stand-in file (`electronDist`), since it cannot be downloaded here;
 * - the checkout is copied to a staging folder and node_modules is collected by walking it
 *   (electron-builder's `traversal` collector): `npm ls`, its default, misreads a node_modules
 *   that is a symlink to a shared install, as it is in this project's worktrees.
 */
export function packApp(): PackedApp {
  if (!existsSync(join(RENDERER_DIST_DIR, 'index.html'))) {
    execFileSync(process.execPath, [join(PACKAGE_ROOT, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--config', 'renderer/vite.config.ts', '--logLevel', 'warn'], { cwd: PACKAGE_ROOT, stdio: 'pipe' });
  }
  const work = mkdtempSync(join(tmpdir(), 'ls-pack-'));
  const stage = join(work, 'stage');
  cpSync(PACKAGE_ROOT, stage, {
    recursive: true,
    filter: (src) => {
      const rel = relative(PACKAGE_ROOT, src).split(/[\\/]/);
      return !NOT_COPIED.has(rel[0]) && !(rel[0] === 'electron' && rel[1] === 'dist');
    },
  });
  rmSync(join(stage, 'package-lock.json'));
  symlinkSync(realpathSync(join(PACKAGE_ROOT, 'node_modules')), join(stage, 'node_modules'), 'dir');
  buildElectronBundles(join(stage, 'electron', 'dist'));

  const fakeElectron = join(work, 'electron-dist');
  mkdirSync(fakeElectron);
  writeFileSync(join(fakeElectron, 'electron'), '#!/bin/sh\necho "a stand-in for the Electron binary"\n');
  chmodSync(join(fakeElectron, 'electron'), 0o755);

  const out = join(work, 'release');
  const env: NodeJS.ProcessEnv = { ...process.env, npm_config_user_agent: 'traversal' };
  delete env.npm_execpath;
  execFileSync(
    process.execPath,
    [join(PACKAGE_ROOT, 'node_modules', 'electron-builder', 'cli.js'), '--dir', '--publish', 'never', `-c.electronDist=${fakeElectron}`, `-c.directories.output=${out}`],
    { cwd: stage, env, stdio: 'pipe', timeout: 200_000 },
  );
  const appOutDir = join(out, 'linux-unpacked');
  return { work, appOutDir, resources: join(appOutDir, 'resources') };
}
