import { StudioError } from '../api/errors.ts';
import type { Pipelines } from '../studio/context.ts';

function notYet(what: string): never {
  throw new StudioError('CHECKPOINT_UNSUPPORTED', `${what} is not available in this build of the engine yet`);
}

/** The engine's image pipelines, as the job operations run them. */
export const enginePipelines: Pipelines = {
  generate: async () => notYet('Text-to-image'),
  edit: async () => notYet('Prompt editing'),
  inpaint: async () => notYet('Inpainting'),
};
