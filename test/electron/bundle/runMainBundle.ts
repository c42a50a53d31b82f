import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../../../engine/paths.ts';

const here = join(PACKAGE_ROOT, 'test', 'electron', 'bundle');

/** Builds main.js and preload.cjs as `npm run build:electron` does, into electron/dist or `outDir`. */
export function buildElectronBundles(outDir?: string): void {
  const args = [join(PACKAGE_ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), 'electron/build.ts', ...(outDir ? [outDir] : [])];
  execFileSync(process.execPath, args, { cwd: PACKAGE_ROOT, stdio: 'pipe' });
}

export interface MainBundleRun {
  /** What driver.mjs observed, by step name. */
  steps: Map<string, unknown>;
  /** Its scratch folder: exports, studio home, user data. */
  work: string;
}

/**
 * Runs a built main.js in a plain Node child process with the stand-in `electron`
 * (fake-electron.mjs), from an unrelated working directory, and returns what the driver saw.
 */
export function runMainBundle(mainJs: string): MainBundleRun {
  const work = mkdtempSync(join(tmpdir(), 'ls-main-bundle-'));
  const report = join(work, 'report.json');
  execFileSync(process.execPath, ['--import', join(here, 'register.mjs'), join(here, 'driver.mjs'), mainJs, report, work], {
    cwd: work,
    stdio: 'pipe',
    timeout: 100_000,
    env: { ...process.env, LATENT_STUDIO_HOME: join(work, 'home'), FAKE_ELECTRON_USER_DATA: join(work, 'user-data') },
  });
  const parsed = JSON.parse(readFileSync(report, 'utf8')) as { steps: { name: string; value: unknown }[]; error?: string };
  if (parsed.error) throw new Error(`the main bundle failed: ${parsed.error}`);
  return { steps: new Map(parsed.steps.map((s) => [s.name, s.value])), work };
}
