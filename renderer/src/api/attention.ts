import { OPERATION_NAMES } from '../../../engine/api/operations.ts';
import type { ImageInput } from '../editor/recipe.ts';
import type { StudioConnection } from './client.ts';

/**
 * The hook for word attention maps. The engine's `jobs.attention` operation generates the
 * image for a prompt and returns one grey map per word (images labelled with the word).
 * The renderer's client is generated from OPERATION_NAMES, so the hook lights up as soon
 * as the operation is in the contract; until then the prompt editor says it is missing.
 */
export const ATTENTION_OP = 'jobs.attention';

export function attentionAvailable(): boolean {
  return (OPERATION_NAMES as readonly string[]).includes(ATTENTION_OP);
}

export interface AttentionRequest {
  model: string;
  prompt: string;
  negativePrompt: string;
  steps: number;
  cfg: number;
  seed: number;
  width: number;
  height: number;
  sampler: string;
  /** Map cells per latent cell: 1 = full latent resolution. */
  resolution: 1 | 2 | 4 | 8;
  /** The image the maps describe, DDIM-inverted under the prompt (seed and sampler unused). */
  image?: ImageInput;
}

/** Starts the attention job; typed loosely because the operation may not be in this build's contract. */
export async function startAttentionJob(connection: StudioConnection, request: AttentionRequest): Promise<string> {
  const call = (connection.client as unknown as Record<string, ((r: unknown) => Promise<{ jobId: string }>) | undefined>)[ATTENTION_OP];
  if (!call) throw new Error('This engine has no attention-maps operation.');
  return (await call(request)).jobId;
}

/** The key a word's map is stored under (maps are labelled with the word as the encoder saw it). */
export const wordKey = (word: string): string => word.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, '');
