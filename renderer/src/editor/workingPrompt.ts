import { plainPrompt } from './promptWords.ts';
import type { PromptSettings } from './recipe.ts';

/**
 * The prompts once `made` (the prompt that drew the new working image) is what the image
 * shows: it becomes the source prompt. The edited prompt is text the user owns: it is
 * replaced only while it held no pending change (it read the same as the old source), so
 * words typed while a job ran are never lost.
 */
export function followWorkingImage(prompt: PromptSettings, made: string): PromptSettings {
  const pending = plainPrompt(prompt.targetPrompt) !== plainPrompt(prompt.sourcePrompt);
  return { ...prompt, sourcePrompt: made, targetPrompt: pending ? prompt.targetPrompt : made };
}

/** The prompt a result's request drew: an edit's target, else its prompt. */
export function madePrompt(request: Record<string, unknown>): string | undefined {
  const made = request.targetPrompt ?? request.prompt;
  return typeof made === 'string' ? made : undefined;
}
