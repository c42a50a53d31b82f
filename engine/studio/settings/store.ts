import { join } from 'node:path';
import { StudioError } from '../../api/errors.ts';
import { SettingsSchema, type Settings } from '../../api/schemas.ts';
import { BUNDLED_MODELS_DIR, studioHome } from '../../paths.ts';
import { writeBytesAtomically } from '../../safetensors/atomicWrite.ts';
import { backUpSettingsFile, loadSettingsFile, type SettingsProblem } from './load.ts';

export type { SettingsProblem } from './load.ts';

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
 * Settings persisted as JSON. Writes are atomic (unique temporary file, fsync, rename) and
 * run one at a time, so parallel `set()` calls all land and memory always matches the disk.
 * A damaged file keeps its valid fields; the problems are reported by `problems()` and the
 * original is backed up before the first save replaces it.
 */
export class SettingsStore {
  private saved: Settings | null = null;
  private overrides: Partial<Settings> = {};
  private found: SettingsProblem[] = [];
  /** Whether the file on disk holds something a save would lose (it must be backed up first). */
  private needsBackup = false;
  private queue: Promise<unknown> = Promise.resolve();
  private loading: Promise<Settings> | null = null;

  constructor(private readonly file = join(studioHome(), 'settings.json')) {}

  async get(): Promise<Settings> {
    return { ...(await this.load()), ...this.overrides };
  }

  /** What was wrong with the settings file when it was read (empty when it was fine or absent). */
  async problems(): Promise<SettingsProblem[]> {
    await this.load();
    return this.found.map((p) => ({ ...p }));
  }

  /** Changes settings for this launch only (e.g. `serve --models`), leaving the saved file alone. */
  async override(patch: Partial<Settings>): Promise<void> {
    await this.load();
    this.overrides = { ...this.overrides, ...patch };
  }

  set(patch: Partial<Settings>): Promise<Settings> {
    const run = this.queue.then(() => this.write(patch));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async write(patch: Partial<Settings>): Promise<Settings> {
    const current = await this.load();
    const next = SettingsSchema.safeParse({ ...current, ...patch });
    if (!next.success) {
      const issue = next.error.issues[0];
      throw new StudioError('INVALID_REQUEST', `Invalid settings: ${issue?.path.join('.') || 'value'}: ${issue?.message}`);
    }
    if (this.needsBackup) {
      const backup = await backUpSettingsFile(this.file);
      if (backup) this.found = this.found.map((p) => ({ ...p, backup }));
      this.needsBackup = false;
    }
    await writeBytesAtomically(this.file, `${JSON.stringify(next.data, null, 2)}\n`);
    this.saved = next.data;
    // A saved choice replaces this launch's override of the same field.
    for (const key of Object.keys(patch) as (keyof Settings)[]) delete this.overrides[key];
    return this.get();
  }

  private load(): Promise<Settings> {
    if (this.saved) return Promise.resolve(this.saved);
    this.loading ??= loadSettingsFile(this.file, defaultSettings()).then((r) => {
      this.saved = r.settings;
      this.found = r.problems;
      this.needsBackup = r.problems.length > 0;
      for (const p of r.problems) process.emitWarning(p.message, { code: `LATENT_STUDIO_${p.kind.toUpperCase()}` });
      return r.settings;
    }).finally(() => { this.loading = null; });
    return this.loading;
  }
}
