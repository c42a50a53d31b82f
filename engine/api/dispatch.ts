import { CONTRACT, isOperationName, type Handlers, type OperationName } from './contract.ts';
import { StudioError, toStudioError, type ErrorCode } from './errors.ts';

/** What crosses a transport: never a thrown exception. */
export type Envelope<T = unknown> =
  | { ok: true; result: T }
  | { ok: false; error: { code: ErrorCode; message: string; details?: Record<string, unknown> } };

function describeIssues(issues: ReadonlyArray<{ path: PropertyKey[]; message: string }>): string {
  return issues
    .slice(0, 5)
    .map((i) => `${i.path.length ? i.path.map(String).join('.') : '(payload)'}: ${i.message}`)
    .join('; ');
}

/**
 * The single boundary every transport calls: validates the operation name and the
 * payload, runs the handler, and validates what the handler returns.
 */
export async function dispatch(handlers: Handlers, op: unknown, payload: unknown): Promise<Envelope> {
  try {
    if (!isOperationName(op)) {
      throw new StudioError('INVALID_REQUEST', `Unknown operation ${JSON.stringify(op)}`);
    }
    const spec = CONTRACT[op];
    const parsed = spec.request.safeParse(payload ?? {});
    if (!parsed.success) {
      throw new StudioError('INVALID_REQUEST', `Invalid ${op} request: ${describeIssues(parsed.error.issues)}`, {
        operation: op,
      });
    }
    const handler = handlers[op] as (req: unknown) => Promise<unknown>;
    const result = await handler(parsed.data);
    const checked = spec.response.safeParse(result);
    if (!checked.success) {
      throw new StudioError('RUNTIME_FAILURE', `Handler for ${op} returned an invalid response: ${describeIssues(checked.error.issues)}`);
    }
    return { ok: true, result: checked.data };
  } catch (e) {
    return { ok: false, error: toStudioError(e).toJSON() };
  }
}

/** Turns an envelope back into a value or a thrown StudioError (client side). */
export function unwrap<T>(envelope: Envelope<T>, op: OperationName): T {
  if (envelope && typeof envelope === 'object' && 'ok' in envelope) {
    if (envelope.ok) return envelope.result;
    throw new StudioError(envelope.error.code, envelope.error.message, envelope.error.details);
  }
  throw new StudioError('RUNTIME_FAILURE', `Malformed reply to ${op}`);
}
