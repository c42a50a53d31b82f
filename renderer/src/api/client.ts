import type { OperationName, StudioClient } from '../../../engine/api/contract.ts';
import type { Envelope } from '../../../engine/api/dispatch.ts';
import type { JobEvent } from '../../../engine/api/events.ts';

export type { Envelope };

/** What the UI talks to, whichever transport carries it. */
export interface StudioConnection {
  client: StudioClient;
  onJobEvent(listener: (event: JobEvent) => void): () => void;
  /** URL the UI can use in <img src> for a result, when the transport offers one. */
  imageUrl?(imageId: string): string;
  transport: 'ipc' | 'http';
}

/** A failure from the engine with its typed code, as the UI shows it. */
export class StudioCallError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
  }
}

export function unwrapEnvelope(op: OperationName, envelope: Envelope): unknown {
  if (envelope && typeof envelope === 'object' && 'ok' in envelope) {
    if (envelope.ok) return envelope.result;
    throw new StudioCallError(envelope.error.code, envelope.error.message);
  }
  throw new StudioCallError('RUNTIME_FAILURE', `Malformed reply to ${op}`);
}
