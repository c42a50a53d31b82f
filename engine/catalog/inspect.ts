import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { toStudioError } from '../api/errors.ts';
import type { ModelEntry } from '../api/schemas.ts';
import { folderSize } from './scan.ts';
import { detectModel } from '../models/detect.ts';
import { describeModel } from './describe.ts';
import { describeAuxiliary } from './describeAuxiliary.ts';

/**
 * A catalog entry for one checkpoint file or diffusers folder, read from headers only.
 * A model that cannot be loaded is still listed, with the reason in plain words.
 */
export async function inspectModel(path: string, config?: string): Promise<ModelEntry> {
  const info = await stat(path);
  const kind = info.isDirectory() ? 'diffusers-folder' : 'single-file';
  const base = {
    id: path,
    name: basename(path).replace(/\.safetensors$/, ''),
    path,
    kind,
    sizeBytes: info.isDirectory() ? await folderSize(path) : info.size,
  } as const;
  try {
    const spec = await detectModel(path, config ? { configPath: config } : {});
    return { ...base, architecture: describeModel(spec), error: null };
  } catch (e) {
    // Only a file that is no image model is read again, as a possible adapter or image encoder.
    let err = toStudioError(e);
    try {
      const auxiliary = info.isDirectory() ? null : await describeAuxiliary(path);
      if (auxiliary) return { ...base, architecture: auxiliary, error: null };
    } catch (auxiliaryError) {
      err = toStudioError(auxiliaryError);
    }
    return { ...base, architecture: null, error: { code: err.code, message: err.message } };
  }
}
