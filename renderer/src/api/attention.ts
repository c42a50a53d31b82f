import { OPERATION_NAMES } from '../../../engine/api/operations.ts';
import type { StudioConnection } from './client.ts';
import type { ImageInput } from '../editor/recipe.ts';

/**
 * The hook for word attention maps. The engine's `attention.maps` operation is being built
 * separately; until it is in the contract this reports "unavailable" and the prompt editor
 * says so. When it lands, the renderer's client has the method (the client is generated
 * from OPERATION_NAMES) and hover heat maps and "mask from word" light up.
 */
export const ATTENTION_OP = 'attention.maps';

export function attentionAvailable(): boolean {
  return (OPERATION_NAMES as readonly string[]).includes(ATTENTION_OP);
}

export interface AttentionMap {
  word: string;
  width: number;
  height: number;
  /** 0–255 per cell, row-major. */
  data: Uint8Array;
}

/** Expected reply: `{ maps: [{ word, width, height, data: number[] | base64 }] }`; anything else reads as "no map". */
export async function fetchAttentionMap(connection: StudioConnection, image: ImageInput, prompt: string, word: string): Promise<AttentionMap | null> {
  if (!attentionAvailable()) return null;
  const call = (connection.client as unknown as Record<string, (r: unknown) => Promise<unknown>>)[ATTENTION_OP];
  const reply = (await call({ image, prompt, words: [word] })) as { maps?: { word: string; width: number; height: number; data: number[] | string }[] };
  const m = reply.maps?.find((x) => x.word === word) ?? reply.maps?.[0];
  if (!m) return null;
  const data = typeof m.data === 'string' ? Uint8Array.from(atob(m.data), (c) => c.charCodeAt(0)) : Uint8Array.from(m.data);
  return data.length === m.width * m.height ? { word, width: m.width, height: m.height, data } : null;
}
