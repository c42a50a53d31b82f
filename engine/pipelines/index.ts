import { StudioError } from '../api/errors.ts';
import type { Pipelines } from '../studio/context.ts';
import { generate } from './txt2img.ts';

function notYet(what: string): never {
  throw new StudioError('CHECKPOINT_UNSUPPORTED', `${what} is not available in this build of the engine yet`);
}

/** The engine's image pipelines, as the job operations run them. */
export const enginePipelines: Pipelines = {
  generate,
  edit: async () => notYet('Prompt editing'),
  inpaint: async () => notYet('Inpainting'),
};
