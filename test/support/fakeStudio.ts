import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StudioError } from '../../engine/api/errors.ts';
import type { ModelEntry } from '../../engine/api/schemas.ts';
import { JobQueue } from '../../engine/studio/jobs/queue.ts';
import { ResultStore } from '../../engine/studio/results/store.ts';
import { SettingsStore } from '../../engine/studio/settings/store.ts';
import type { Pipelines, StudioContext } from '../../engine/studio/context.ts';

/**
 * A studio whose pipelines count steps and store a plain PNG instead of running a
 * network: for transport and queue tests that must not depend on model weights.
 */
export function fakeStudio(stepDelayMs = 5): StudioContext {
  const home = mkdtempSync(join(tmpdir(), 'ls-home-'));
  const results = new ResultStore();
  const pipelines: Pipelines = {
    async generate(params, job) {
      for (let i = 1; i <= params.steps; i++) {
        job.throwIfCancelled();
        await new Promise((r) => setTimeout(r, stepDelayMs));
        job.progress(i, params.steps);
      }
      const sharp = (await import('sharp')).default;
      const width = params.width ?? 512;
      const height = params.height ?? 512;
      const png = await sharp({ create: { width, height, channels: 3, background: '#ff0000' } }).png().toBuffer();
      return [results.add({ png, width, height, seed: params.seed, parameters: params.prompt })];
    },
    async img2img() {
      throw new StudioError('CHECKPOINT_UNSUPPORTED', 'no img2img in the fake');
    },
    async attention() {
      throw new StudioError('CHECKPOINT_UNSUPPORTED', 'no attention maps in the fake');
    },
    async stylize() {
      throw new StudioError('CHECKPOINT_UNSUPPORTED', 'no stylize in the fake');
    },
    async edit() {
      throw new StudioError('CHECKPOINT_UNSUPPORTED', 'no edit in the fake');
    },
    async inpaint() {
      throw new StudioError('CHECKPOINT_UNSUPPORTED', 'no inpaint in the fake');
    },
  };
  const inspect = async (path: string): Promise<ModelEntry> => ({
    id: path, name: path, path, kind: 'single-file', sizeBytes: 1,
    architecture: { family: 'sd1', summary: 'fake', details: {} }, error: null,
  });
  return { queue: new JobQueue(), results, settings: new SettingsStore(join(home, 'settings.json')), pipelines, inspect };
}
