import type { Pipelines } from '../studio/context.ts';
import { attentionJob } from './attentionJob.ts';
import { edit } from './edit.ts';
import { img2img } from './img2img.ts';
import { inpaint } from './inpaint.ts';
import { stylize } from './stylize.ts';
import { generate } from './txt2img.ts';

/** The engine's image pipelines, as the job operations run them. */
export const enginePipelines: Pipelines = {
  generate,
  img2img,
  inpaint,
  edit,
  stylize,
  attention: attentionJob,
};
