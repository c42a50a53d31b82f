import type { AttentionRequest } from '../api/attention.ts';
import { plainPrompt } from '../editor/promptWords.ts';
import { attentionGridOf } from './modelsSlice.ts';
import { mapResolution } from './mapResolution.ts';
import type { StudioState } from './store.ts';

/**
 * The attention job that describes the working image. A plain generation is made again from
 * its recorded model, prompt, seed and sampling settings (the same image, so its maps are
 * exact); anything else — an opened photo, an edited or inpainted result, a generation with
 * image prompts or token merging — is DDIM-inverted under the source prompt.
 */
export function attentionRequestFor(s: StudioState): AttentionRequest | { problem: string } {
  const working = s.source;
  if (!working) return { problem: 'Open or generate an image first: attention maps describe the image on the canvas.' };
  const entry = 'imageId' in working.input ? s.results.find((r) => 'imageId' in working.input && r.imageId === working.input.imageId) : undefined;
  const q = entry?.request ?? {};
  const seed = typeof q.seed === 'number' ? q.seed : entry?.seed;
  const remade = entry?.op === 'jobs.generate' && typeof q.prompt === 'string' && typeof q.model === 'string' && seed !== undefined && !q.imagePrompts && !q.tokenMerging;
  const model = remade ? (q.model as string) : s.run.model;
  if (!model) return { problem: 'Choose a model first (Models & settings).' };
  const resolution = mapResolution(working.width, working.height, attentionGridOf(s.models.find((m) => m.path === model)));
  if (remade) {
    const num = (k: string, d: number): number => (typeof q[k] === 'number' ? (q[k] as number) : d);
    return {
      model, prompt: q.prompt as string, negativePrompt: typeof q.negativePrompt === 'string' ? q.negativePrompt : '', steps: num('steps', s.run.steps), cfg: num('cfg', s.run.cfg),
      seed: seed!, width: entry.width, height: entry.height, sampler: typeof q.sampler === 'string' ? q.sampler : 'ddim', resolution,
    };
  }
  const size = (n: number): number => Math.max(64, n - (n % 8));
  return {
    model, prompt: plainPrompt(s.prompt.sourcePrompt), negativePrompt: s.run.negativePrompt, steps: s.run.steps, cfg: s.run.cfg,
    seed: 0, width: size(working.width), height: size(working.height), sampler: 'ddim', resolution, image: working.input,
  };
}

/** What maps were made for: the working image and the prompt read over it. Maps of anything else are stale. */
export const attentionKey = (s: StudioState): string => {
  const r = attentionRequestFor(s);
  return 'problem' in r ? '' : `${s.source?.url}|${r.prompt}`;
};
