/**
 * Things the graph layer does on the user's behalf that they may want to know about:
 * a slower provider than asked for, a converted weight file on disk, where a graph lives.
 * Listeners (the API layer, tests) subscribe; without listeners the notable ones go to the console.
 */
export type GraphEvent =
  | { kind: 'provider-fallback'; requested: string; used: string; reason: string }
  | { kind: 'bf16-converted'; checkpoint: string; file: string; tensors: number; bytes: number }
  | { kind: 'graph-placement'; graph: string; mode: 'beside' | 'cache' | 'memory'; path: string; reason?: string }
  | { kind: 'session-created'; graph: string; provider: string; ms: number };

type Listener = (e: GraphEvent) => void;
const listeners = new Set<Listener>();

export function onGraphEvent(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function emitGraphEvent(e: GraphEvent): void {
  if (listeners.size === 0) {
    if (e.kind === 'provider-fallback') console.warn(`[graph] ${e.requested} unavailable (${e.reason}); running on ${e.used}`);
    else if (e.kind === 'bf16-converted') console.info(`[graph] converted ${e.tensors} BF16 tensors of ${e.checkpoint} to float32 once: ${e.file}`);
    else if (e.kind === 'graph-placement' && e.mode === 'memory') console.warn(`[graph] ${e.graph}: weights loaded into memory (${e.reason ?? ''})`);
    return;
  }
  for (const l of listeners) l(e);
}
