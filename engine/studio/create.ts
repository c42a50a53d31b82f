import { JobQueue } from './jobs/queue.ts';
import { ResultStore } from './results/store.ts';
import { SettingsStore } from './settings/store.ts';
import { inspectModel } from '../catalog/inspect.ts';
import { enginePipelines } from '../pipelines/index.ts';
import type { StudioContext } from './context.ts';
import { PathPolicy } from './pathPolicy.ts';

/** A studio wired to the real engine; tests replace parts through `overrides`. */
export function createStudio(overrides: Partial<StudioContext> = {}): StudioContext {
  return {
    queue: new JobQueue(),
    results: new ResultStore(),
    settings: new SettingsStore(),
    pipelines: enginePipelines,
    inspect: inspectModel,
    ...overrides,
  };
}

/** A studio for one command-line run: the paths on the command line are the user's own choice, so they are not confined to the studio's folders. */
export function createCommandLineStudio(overrides: Partial<StudioContext> = {}): StudioContext {
  return createStudio({ paths: PathPolicy.commandLine(), ...overrides });
}
