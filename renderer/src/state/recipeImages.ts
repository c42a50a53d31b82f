import { effectiveAdapter, imagePromptsOfRecipe, type ReferenceImage } from '../editor/imagePrompt.ts';
import { missingImagesNote, resolveRecipeImage } from '../editor/recipeImages.ts';
import { styleSettingsFromRecipe } from '../editor/stylize.ts';
import { newReference } from './imagePromptSlice.ts';
import { listedIpAdapters } from './modelsSlice.ts';
import type { StudioState } from './store.ts';

/** A result of this session (or the source) by id: the only engine images a restore can rely on. */
function sessionUrl(s: StudioState, imageId: string): string | null {
  const r = s.results.find((x) => x.imageId === imageId);
  if (r) return r.url;
  return s.source && 'imageId' in s.source.input && s.source.input.imageId === imageId ? s.source.url : null;
}

const basename = (path: string): string => path.split(/[\\/]/).pop() ?? path;

/**
 * The image-prompt panel as a recipe describes it. A recipe without image prompts empties the
 * list, so a restore reproduces the run; images it cannot bring back are named, not fatal.
 */
export function imagePromptStateFromRecipe(s: StudioState, request: Record<string, unknown>): Pick<StudioState, 'imagePrompt' | 'imagePromptProblem'> {
  const found = imagePromptsOfRecipe(request);
  if (!found) return { imagePrompt: { ...s.imagePrompt, images: [] }, imagePromptProblem: null };
  const images: ReferenceImage[] = [];
  const missing: string[] = [];
  for (const p of found.images) {
    const r = resolveRecipeImage(p.image, (id) => sessionUrl(s, id));
    if (r.ok) images.push(newReference({ input: r.input, url: r.url, name: r.name }, Math.min(2, Math.max(0, p.scale))));
    else missing.push(`scale ${p.scale}: ${r.reason}`);
  }
  const listed = listedIpAdapters(s.models);
  const notes = [missingImagesNote('reference', missing)];
  if (found.adapter && !listed.includes(found.adapter)) {
    const using = effectiveAdapter(null, listed);
    notes.push(`The recipe’s IP-Adapter ${basename(found.adapter)} is not in the models folder${using ? `; using ${basename(using)}` : ''}.`);
  }
  const message = notes.filter(Boolean).join(' ');
  return {
    imagePrompt: { adapter: found.adapter && listed.includes(found.adapter) ? found.adapter : s.imagePrompt.adapter, preset: found.preset, customBlocks: found.customBlocks, images },
    imagePromptProblem: message ? { message, hint: 'The other settings were restored.' } : null,
  };
}

/** The style panel as a stylize recipe describes it; the content image stays the open source. */
export function styleStateFromRecipe(s: StudioState, request: Record<string, unknown>): Pick<StudioState, 'style' | 'styleProblem'> {
  const r = resolveRecipeImage(request.style, (id) => sessionUrl(s, id));
  const style = r.ok ? newReference({ input: r.input, url: r.url, name: r.name }, 1) : null;
  const note = r.ok ? null : missingImagesNote('style', [r.reason]);
  return {
    style: { ...s.style, ...styleSettingsFromRecipe(request), style },
    styleProblem: note ? { message: note, hint: 'γ, temperature and steps were restored.' } : null,
  };
}
