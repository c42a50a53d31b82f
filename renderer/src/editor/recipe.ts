import type { RequestOf } from '../../../engine/api/contract.ts';
import { parsePrompt, plainPrompt, setWordWeight, wordWeights } from './promptWords.ts';

/** The run panel's values: everything a job needs besides prompts and images. */
export interface RunSettings {
  model: string | null;
  sampler: 'ddim' | 'euler' | 'euler-a' | 'dpmpp-2m';
  steps: number;
  cfg: number;
  seed: number;
  seedMode: 'fixed' | 'random';
  width: number;
  height: number;
  negativePrompt: string;
  tokenMerging: boolean;
  tokenMergingRatio: number;
  /** img2img/inpaint: how much of the source is re-noised (1 = all). */
  strength: number;
  maskFeather: number;
  /** LoRAs picked from the models folder's `loras/`, each with its multiplier. */
  loras: Array<{ name: string; scale: number }>;
}

/** The prompt editor's values. Weights live inside the prompt text as `(word:1.3)`. */
export interface PromptSettings {
  sourcePrompt: string;
  targetPrompt: string;
  /** Fraction of steps (0–1) during which the source's cross-attention maps are injected. */
  crossReplace: number;
  /** Fraction of steps during which self-attention is injected (keeps layout). */
  selfReplace: number;
  /** Target words whose change is confined to where they attend ("only change here"). */
  localBlendWords: string[];
  /** Share (0–1, exclusive) of a local-blend word's peak attention a cell must reach to be in the region the edit may change. */
  localBlendThreshold: number;
}

export const DEFAULT_RUN: RunSettings = {
  model: null,
  sampler: 'ddim',
  steps: 20,
  cfg: 7.5,
  seed: 1,
  seedMode: 'fixed',
  width: 64,
  height: 64,
  negativePrompt: '',
  tokenMerging: false,
  tokenMergingRatio: 0.5,
  strength: 1,
  maskFeather: 4,
  loras: [],
};

/** The engine's (and the prompt-to-prompt reference's) local-blend threshold. */
export const DEFAULT_LOCAL_BLEND_THRESHOLD = 0.3;

export const DEFAULT_PROMPT: PromptSettings = {
  sourcePrompt: 'a red circle on a blue background',
  targetPrompt: 'a red circle on a blue background',
  crossReplace: 0.8,
  selfReplace: 0.4,
  localBlendWords: [],
  localBlendThreshold: DEFAULT_LOCAL_BLEND_THRESHOLD,
};

export type RunKind = 'generate' | 'edit' | 'inpaint';
export type ImageInput = { imageId: string } | { base64: string };

export type JobRequest =
  | { op: 'jobs.generate'; request: RequestOf<'jobs.generate'> }
  | { op: 'jobs.edit'; request: RequestOf<'jobs.edit'> }
  | { op: 'jobs.inpaint'; request: RequestOf<'jobs.inpaint'> };

/** A fresh seed when the mode is random: drawn here so the recipe records the seed used. */
export function resolveSeed(run: RunSettings, random: () => number = Math.random): number {
  return run.seedMode === 'random' ? Math.floor(random() * 2 ** 32) : run.seed;
}

/**
 * The contract request for a run. Generate and inpaint use the edited prompt as plain text
 * (the engine's encoder does not read weight syntax); edit sends both prompts plain and the
 * weights as `wordWeights`, which is how prompt-to-prompt re-weights words.
 */
export function buildJobRequest(
  kind: RunKind,
  run: RunSettings,
  prompt: PromptSettings,
  seed: number,
  inputs: { image?: ImageInput; mask?: ImageInput; imagePrompt?: Pick<RequestOf<'jobs.generate'>, 'imagePrompts' | 'ipAdapter'> } = {},
): JobRequest {
  if (!run.model) throw new Error('Choose a model first (Models & settings).');
  const sampling = {
    model: run.model,
    negativePrompt: run.negativePrompt,
    steps: run.steps,
    cfg: run.cfg,
    seed,
    sampler: run.sampler,
    ...(run.tokenMerging ? { tokenMerging: { ratio: run.tokenMergingRatio } } : {}),
    ...(run.loras.length ? { loras: run.loras.map((l) => ({ ...l })) } : {}),
    ...inputs.imagePrompt,
  };
  const size = { width: run.width, height: run.height };
  switch (kind) {
    case 'generate':
      return { op: 'jobs.generate', request: { ...sampling, ...size, prompt: plainPrompt(prompt.targetPrompt) } };
    case 'inpaint':
      if (!inputs.image) throw new Error('Open an image to inpaint.');
      if (!inputs.mask) throw new Error('Paint a mask over the part to regenerate.');
      return {
        op: 'jobs.inpaint',
        request: { ...sampling, prompt: plainPrompt(prompt.targetPrompt), image: inputs.image, mask: inputs.mask, strength: run.strength, maskFeather: run.maskFeather },
      };
    case 'edit':
      return {
        op: 'jobs.edit',
        request: {
          ...sampling,
          ...(inputs.image ? {} : size),
          sourcePrompt: plainPrompt(prompt.sourcePrompt),
          targetPrompt: plainPrompt(prompt.targetPrompt),
          crossReplaceSteps: prompt.crossReplace,
          selfReplaceSteps: prompt.selfReplace,
          wordWeights: wordWeights(prompt.targetPrompt),
          localBlendWords: prompt.localBlendWords,
          localBlendThreshold: prompt.localBlendThreshold,
          ...(inputs.image ? { image: inputs.image } : {}),
          ...(inputs.mask ? { mask: inputs.mask } : {}),
        },
      };
  }
}

/** What "restore its settings" changes: the run panel and prompts a recipe describes. */
export function settingsFromRecipe(operation: string, request: Record<string, unknown>): { run: Partial<RunSettings>; prompt: Partial<PromptSettings> } {
  const run: Partial<RunSettings> = {};
  const num = (k: string): number | undefined => (typeof request[k] === 'number' ? (request[k] as number) : undefined);
  const str = (k: string): string | undefined => (typeof request[k] === 'string' ? (request[k] as string) : undefined);
  const set = <K extends keyof RunSettings>(key: K, value: RunSettings[K] | undefined): void => {
    if (value !== undefined) run[key] = value;
  };
  set('model', str('model'));
  set('sampler', str('sampler') as RunSettings['sampler'] | undefined);
  set('steps', num('steps'));
  set('cfg', num('cfg'));
  set('width', num('width'));
  set('height', num('height'));
  set('negativePrompt', str('negativePrompt'));
  set('strength', num('strength'));
  set('maskFeather', num('maskFeather'));
  const seed = num('seed');
  if (seed !== undefined) {
    run.seed = seed;
    run.seedMode = 'fixed';
  }
  const tome = request.tokenMerging as { ratio?: number } | undefined;
  run.tokenMerging = Boolean(tome);
  if (tome?.ratio !== undefined) run.tokenMergingRatio = tome.ratio;

  run.loras = Array.isArray(request.loras)
    ? request.loras.filter((l): l is { name: string; scale: number } => typeof l?.name === 'string' && typeof l?.scale === 'number').map((l) => ({ name: l.name, scale: l.scale }))
    : [];

  const prompt: Partial<PromptSettings> = {};
  const isEdit = operation.endsWith('edit');
  const target = isEdit ? str('targetPrompt') : str('prompt');
  if (target !== undefined) prompt.targetPrompt = target;
  prompt.sourcePrompt = isEdit ? (str('sourcePrompt') ?? target) : target;
  if (prompt.sourcePrompt === undefined) delete prompt.sourcePrompt;
  if (isEdit) {
    const cross = num('crossReplaceSteps');
    const self = num('selfReplaceSteps');
    if (cross !== undefined) prompt.crossReplace = cross;
    if (self !== undefined) prompt.selfReplace = self;
    if (Array.isArray(request.localBlendWords)) prompt.localBlendWords = request.localBlendWords.filter((w): w is string => typeof w === 'string');
    // Recipes from before the setting ran with the engine's default.
    const threshold = num('localBlendThreshold');
    prompt.localBlendThreshold = threshold !== undefined && threshold > 0 && threshold < 1 ? threshold : DEFAULT_LOCAL_BLEND_THRESHOLD;
    // Weights travel as wordWeights; the editor keeps them in the text as (word:w).
    const weights = request.wordWeights;
    if (prompt.targetPrompt && weights && typeof weights === 'object') {
      for (const [word, w] of Object.entries(weights as Record<string, unknown>)) {
        if (typeof w !== 'number') continue;
        const index = parsePrompt(prompt.targetPrompt).findIndex((p) => p.text === word && p.weight === 1);
        if (index >= 0) prompt.targetPrompt = setWordWeight(prompt.targetPrompt, index, w);
      }
    }
  }
  return { run, prompt };
}

/** The history line's note of a non-default local-blend threshold, or null when it is the default or nothing is blended. */
export function describeLocalBlend(request: Record<string, unknown>): string | null {
  const t = request.localBlendThreshold;
  const words = Array.isArray(request.localBlendWords) ? request.localBlendWords.length : 0;
  if (typeof t !== 'number' || !words || Math.abs(t - DEFAULT_LOCAL_BLEND_THRESHOLD) < 1e-9) return null;
  return `region threshold ${Math.round(t * 100) / 100}`;
}
