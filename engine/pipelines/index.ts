import { StudioError } from '../api/errors.ts';
import type { Pipelines } from '../studio/context.ts';
import { img2img } from './img2img.ts';
import { inpaint } from './inpaint.ts';
import { generate } from './txt2img.ts';

/** The engine's image pipelines, as the job operations run them. */
export const enginePipelines: Pipelines = {
  generate,
  img2img,
  inpaint,
  // Prompt-to-prompt editing arrives with the attention controllers.
  edit: async () => {
    throw new StudioError('CHECKPOINT_UNSUPPORTED', 'Prompt editing is not available in this build of the engine yet');
  },
};
