import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { StudioError } from '../api/errors.ts';
import { SettingsSchema, type Settings } from '../api/schemas.ts';
import { BUNDLED_MODELS_DIR, studioHome } from '../paths.ts';

export function defaultSettings(): Settings {
  return {
    modelsDir: BUNDLED_MODELS_DIR,
    outputDir: join(studioHome(), 'outputs'),
    executionProvider: 'auto',
    threads: 0,
    previewEvery: 5,
  };
}

/**
 * Settings persisted as JSON. Writes go to a temporary file renamed over the old one,
 * so a full disk or a crash never leaves a half-written settings file.
 */
export class SettingsStore {
  private current: Settings | null = null;
  constructor(private readonly file = join(studioHome(), 'settings.json')) {}

  async get(): Promise<Settings> {
    if (this.current) return { ...this.current };
    let loaded: Settings = defaultSettings();
    try {
      const raw = JSON.parse(await readFile(this.file, 'utf8')) as unknown;
      const parsed = SettingsSchema.partial().safeParse(raw);
      // A damaged file falls back to defaults field by field rather than failing the app.
      if (parsed.success) loaded = { ...loaded, ...parsed.data };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT' && !(e instanceof SyntaxError)) throw e;
    }
    this.current = loaded;
    return { ...loaded };
  }

  /** Changes settings for this launch only (e.g. `serve --models`), leaving the saved file alone. */
  async override(patch: Partial<Settings>): Promise<void> {
    this.current = { ...(await this.get()), ...patch };
  }

  async set(patch: Partial<Settings>): Promise<Settings> {
    const next = SettingsSchema.safeParse({ ...(await this.get()), ...patch });
    if (!next.success) throw new StudioError('INVALID_REQUEST', `Invalid settings: ${next.error.issues[0]?.message}`);
    await mkdir(join(this.file, '..'), { recursive: true });
    const tmp = `${this.file}.${process.pid}.tmp`;
    await writeFile(tmp, JSON.stringify(next.data, null, 2));
    await rename(tmp, this.file);
    this.current = next.data;
    return { ...next.data };
  }
}
