import type { RequestOf } from '../../../engine/api/contract.ts';
import type { ImageInput } from './recipe.ts';

/** The contract allows eight reference images per request. */
export const MAX_IMAGE_PROMPTS = 8;

/** InstantStyle presets: which UNet blocks see the reference image (`all` sends no `blocks`). */
export type BlockPreset = 'all' | 'style' | 'layout' | 'style+layout';

export const BLOCK_PRESETS: readonly { id: BlockPreset; label: string; title: string }[] = [
  { id: 'all', label: 'All blocks', title: 'The reference acts everywhere: its objects, layout and style' },
  { id: 'style', label: 'Style only', title: 'InstantStyle: only up_blocks.1 sees the reference, so its colours and texture carry over, not its objects' },
  { id: 'layout', label: 'Layout only', title: 'InstantStyle: only down_blocks.2 and the mid block see the reference, so its composition carries over' },
  { id: 'style+layout', label: 'Style and layout', title: 'InstantStyle: the style and layout blocks together' },
];

/** One reference image in the image-prompt list. */
export interface ReferenceImage {
  /** List key: the same file may be added twice. */
  key: string;
  input: ImageInput;
  /** For the thumbnail (blob:, data: or the result route). */
  url: string;
  name: string;
  scale: number;
}

export interface ImagePromptSettings {
  /** The adapter file chosen in the panel; null means "the first one listed". */
  adapter: string | null;
  preset: BlockPreset;
  /** Per-block scales restored from a recipe that did not use a preset; sent instead of the preset. */
  customBlocks: Record<string, number> | null;
  images: ReferenceImage[];
}

export const DEFAULT_IMAGE_PROMPT: ImagePromptSettings = { adapter: null, preset: 'all', customBlocks: null, images: [] };

type SamplingFields = Pick<RequestOf<'jobs.generate'>, 'imagePrompts' | 'ipAdapter'>;

/**
 * Scale for a newly added reference: 1 when the image is the whole prompt, 0.5 beside text,
 * which is what the IP-Adapter authors recommend so neither drowns the other.
 */
export function suggestedScale(prompt: string): number {
  return prompt.trim() ? 0.5 : 1;
}

/** The adapter actually used: the chosen one while it is listed, else the first listed. */
export function effectiveAdapter(chosen: string | null, listed: readonly string[]): string | null {
  return chosen && listed.includes(chosen) ? chosen : (listed[0] ?? null);
}

/** `imagePrompts` + `ipAdapter` for a generating request; nothing at all without reference images. */
export function imagePromptFields(settings: ImagePromptSettings, listed: readonly string[]): SamplingFields {
  if (!settings.images.length) return {};
  const path = effectiveAdapter(settings.adapter, listed) ?? settings.adapter;
  if (!path) throw new Error('Image prompts need an IP-Adapter file in the models folder; add one or remove the reference images.');
  const blocks = settings.customBlocks ?? (settings.preset === 'all' ? undefined : settings.preset);
  return {
    imagePrompts: settings.images.map((i) => ({ image: i.input, scale: i.scale })),
    ipAdapter: { path, ...(blocks ? { blocks } : {}) },
  };
}

/** What a recipe says about image prompts, before its images are looked up. */
export interface RecipeImagePrompts {
  adapter: string | null;
  preset: BlockPreset;
  customBlocks: Record<string, number> | null;
  images: { image: unknown; scale: number }[];
}

/** Null when the recipe has no image prompts. */
export function imagePromptsOfRecipe(request: Record<string, unknown>): RecipeImagePrompts | null {
  const prompts = Array.isArray(request.imagePrompts) ? (request.imagePrompts as unknown[]) : [];
  const images = prompts
    .filter((p): p is { image: unknown; scale?: unknown } => Boolean(p) && typeof p === 'object')
    .map((p) => ({ image: p.image, scale: typeof p.scale === 'number' ? p.scale : 1 }));
  if (!images.length) return null;
  const ip = (request.ipAdapter ?? {}) as { path?: unknown; blocks?: unknown };
  const blocks = ip.blocks;
  const isPreset = typeof blocks === 'string' && BLOCK_PRESETS.some((p) => p.id === blocks);
  const custom = blocks && typeof blocks === 'object' ? Object.fromEntries(Object.entries(blocks).filter(([, v]) => typeof v === 'number')) as Record<string, number> : null;
  return {
    adapter: typeof ip.path === 'string' ? ip.path : null,
    preset: isPreset ? (blocks as BlockPreset) : 'all',
    customBlocks: custom,
    images,
  };
}

/** "image prompt ×2 (1, 0.5), style only" for the history's recipe line; null without image prompts. */
export function describeImagePrompts(request: Record<string, unknown>): string | null {
  const found = imagePromptsOfRecipe(request);
  if (!found) return null;
  const n = found.images.length;
  const preset = found.customBlocks ? 'custom blocks' : found.preset === 'all' ? null : BLOCK_PRESETS.find((p) => p.id === found.preset)?.label.toLowerCase();
  return [`image prompt${n > 1 ? ` ×${n}` : ''} (scale ${found.images.map((i) => i.scale).join(', ')})`, preset].filter(Boolean).join(', ');
}
