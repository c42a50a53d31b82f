import type { ImageInput } from './recipe.ts';

/** An image named in a recipe, as the studio can show and send it again, or why it cannot. */
export type RecipeImage = { ok: true; input: ImageInput; url: string; name: string } | { ok: false; reason: string };

/** Recipes keep bytes without their type: the first bytes say which of the accepted formats it is. */
export function mimeOfBase64(base64: string): string {
  if (base64.startsWith('/9j/')) return 'image/jpeg';
  if (base64.startsWith('UklGR')) return 'image/webp';
  return 'image/png';
}

/**
 * Looks up an image of a recipe: bytes come back as they are; a result id only while that
 * result is in this session's history (`urlOf`), since an exported recipe outlives the
 * engine's result store; a file path was read by the engine and cannot be shown here.
 */
export function resolveRecipeImage(image: unknown, urlOf: (imageId: string) => string | null): RecipeImage {
  const i = (image ?? {}) as { base64?: unknown; imageId?: unknown; path?: unknown };
  if (typeof i.base64 === 'string' && i.base64) {
    return { ok: true, input: { base64: i.base64 }, url: `data:${mimeOfBase64(i.base64)};base64,${i.base64}`, name: 'image from the recipe' };
  }
  if (typeof i.imageId === 'string') {
    const url = urlOf(i.imageId);
    if (url) return { ok: true, input: { imageId: i.imageId }, url, name: `result-${i.imageId.slice(0, 8)}` };
    return { ok: false, reason: `result ${i.imageId.slice(0, 8)} is not in this session’s history` };
  }
  if (typeof i.path === 'string') return { ok: false, reason: `${i.path.split(/[\\/]/).pop()} was a file on the engine’s disk` };
  return { ok: false, reason: 'the recipe does not carry the image' };
}

/** One sentence for the images a restore could not bring back; null when all came back. */
export function missingImagesNote(what: string, reasons: string[]): string | null {
  if (!reasons.length) return null;
  const n = reasons.length;
  return `${n === 1 ? `The ${what} image` : `${n} ${what} images`} from the recipe ${n === 1 ? 'is' : 'are'} not available (${reasons.join('; ')}): add ${n === 1 ? 'it' : 'them'} again.`;
}
