import type { RequestOf } from '../../../engine/api/contract.ts';
import type { ReferenceImage } from './imagePrompt.ts';
import type { ImageInput } from './recipe.ts';

/** The style panel's values. The content image is always the source being edited. */
export interface StyleSettings {
  style: ReferenceImage | null;
  /** Query preservation γ: lower takes more of the style. */
  gamma: number;
  /** Attention temperature T. */
  temperature: number;
  steps: number;
}

/** StylizeRequestSchema's defaults (the StyleID paper's); the editor may not import the schema itself. */
export const DEFAULT_STYLE: StyleSettings = { style: null, gamma: 0.75, temperature: 1.5, steps: 50 };

/** `jobs.stylize` for the source image; the painted mask, when there is one, limits the change. */
export function buildStylizeRequest(
  model: string | null,
  settings: StyleSettings,
  inputs: { content?: ImageInput; mask?: ImageInput; maskFeather?: number },
): RequestOf<'jobs.stylize'> {
  if (!model) throw new Error('Choose a model first (Models & settings).');
  if (!inputs.content) throw new Error('Open the image to restyle first.');
  if (!settings.style) throw new Error('Choose a style image first.');
  return {
    model,
    content: inputs.content,
    style: settings.style.input,
    gamma: settings.gamma,
    temperature: settings.temperature,
    steps: settings.steps,
    ...(inputs.mask ? { mask: inputs.mask, ...(inputs.maskFeather !== undefined ? { maskFeather: inputs.maskFeather } : {}) } : {}),
  };
}

/** The style settings a stylize recipe describes (the style image is looked up separately). */
export function styleSettingsFromRecipe(request: Record<string, unknown>): Partial<Omit<StyleSettings, 'style'>> {
  const out: Partial<Omit<StyleSettings, 'style'>> = {};
  if (typeof request.gamma === 'number') out.gamma = request.gamma;
  if (typeof request.temperature === 'number') out.temperature = request.temperature;
  if (typeof request.steps === 'number') out.steps = request.steps;
  return out;
}

export const isStylizeOperation = (operation: string): boolean => operation === 'jobs.stylize' || operation === 'stylize';

/** "StyleID γ 0.75, T 1.5, masked" for the history's recipe line. */
export function describeStylize(request: Record<string, unknown>): string {
  return [`StyleID γ ${request.gamma ?? DEFAULT_STYLE.gamma}`, `T ${request.temperature ?? DEFAULT_STYLE.temperature}`, request.mask ? 'masked' : null].filter(Boolean).join(', ');
}
