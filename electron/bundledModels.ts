import { statSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { SettingsStore } from '../engine/studio/settings/store.ts';

/**
 * A saved models folder that was the bundled one of an earlier launch: an AppImage is mounted
 * at a new random path each time (/tmp/.mount_…), and an update may move the install, so the
 * absolute path settings saved points nowhere now. Those are repointed, for this launch, at
 * where the bundled models are today; a folder the user chose is never touched.
 */
export async function repointStaleBundledModels(settings: Pick<SettingsStore, 'get' | 'override'>, bundledModelsDir: string): Promise<boolean> {
  const { modelsDir } = await settings.get();
  if (modelsDir === bundledModelsDir || exists(modelsDir) || !wasBundled(modelsDir)) return false;
  await settings.override({ modelsDir: bundledModelsDir });
  return true;
}

function wasBundled(dir: string): boolean {
  return basename(dir) === 'models' && basename(dirname(dir)) === 'app.asar.unpacked';
}

function exists(dir: string): boolean {
  try {
    return statSync(dir).isDirectory();
  } catch {
    return false;
  }
}
