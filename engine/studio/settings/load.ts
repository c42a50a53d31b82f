import { copyFile, link, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { StudioError } from '../../api/errors.ts';
import { SettingsSchema, type Settings } from '../../api/schemas.ts';
import { removeStaleTemps } from '../../safetensors/atomicWrite.ts';

/** Something wrong with the settings file, in words a user can act on. */
export interface SettingsProblem {
  kind: 'settings-unreadable' | 'settings-unparseable' | 'settings-field-invalid' | 'settings-field-unknown';
  /** The field concerned (field problems only). */
  field?: string;
  message: string;
  /** Where the original file was kept before it was first replaced. */
  backup?: string;
}

export interface LoadedSettings {
  settings: Settings;
  problems: SettingsProblem[];
}

/**
 * Reads the settings file field by field: a valid field is kept even when its neighbours
 * are damaged, so one bad value never resets everything. A missing file is not a problem.
 */
export async function loadSettingsFile(file: string, defaults: Settings): Promise<LoadedSettings> {
  await removeStaleTemps(dirname(file));
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { settings: defaults, problems: [] };
    return { settings: defaults, problems: [{ kind: 'settings-unreadable', message: `Settings file ${file} cannot be read (${code ?? String(e)}); using defaults for this launch` }] };
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    raw = e;
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw) || raw instanceof Error) {
    const why = raw instanceof Error ? raw.message : 'it is not a JSON object';
    return { settings: defaults, problems: [{ kind: 'settings-unparseable', message: `Settings file ${file} is damaged (${why}); using defaults for this launch` }] };
  }
  const settings: Settings = { ...defaults };
  const problems: SettingsProblem[] = [];
  const shape = SettingsSchema.shape;
  for (const [field, value] of Object.entries(raw)) {
    if (!Object.hasOwn(shape, field)) {
      problems.push({ kind: 'settings-field-unknown', field, message: `Settings file ${file} has an unknown field "${field}"; it is ignored` });
      continue;
    }
    const key = field as keyof Settings;
    const parsed = shape[key].safeParse(value);
    if (parsed.success) (settings as Record<string, unknown>)[key] = parsed.data;
    else problems.push({ kind: 'settings-field-invalid', field, message: `Settings field "${field}" is invalid (${parsed.error.issues[0]?.message}); using the default ${JSON.stringify(defaults[key])}` });
  }
  return { settings, problems };
}

/**
 * Keeps the current settings file under a dated name before a save replaces it. A hard link
 * needs no read permission, so even an unreadable file is kept; a copy is the fallback.
 * Refuses the save (typed error) rather than destroy a file it could not keep.
 */
export async function backUpSettingsFile(file: string): Promise<string | undefined> {
  const backup = `${file}.${new Date().toISOString().replace(/[:.]/g, '-')}.bak`;
  try {
    await link(file, backup);
    return backup;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined; // nothing left to keep
    try {
      await copyFile(file, backup);
      return backup;
    } catch (e2) {
      throw new StudioError('RUNTIME_FAILURE', `Settings file ${file} could not be backed up before saving (${(e2 as Error).message}); it was left as it was`);
    }
  }
}
