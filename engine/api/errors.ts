/**
 * Typed error codes shared by the engine, both transports and the renderer.
 * Every failure a user can meet maps to one of these codes plus a plain-words message.
 */
export const ERROR_CODES = [
  'INVALID_REQUEST', // payload failed validation at a boundary
  'NOT_FOUND', // file, model, job or image that does not exist
  'CHECKPOINT_CORRUPT', // safetensors header or data is malformed
  'CHECKPOINT_UNSUPPORTED', // well-formed file whose layout matches no known family
  'CHECKPOINT_INCOMPLETE', // known family but keys missing
  'SHAPE_MISMATCH', // tensor or input shape is not what the network expects
  'IMAGE_INVALID', // unreadable or too large image
  'CANCELLED', // job cancelled by the user
  'DISK_FULL', // write failed for lack of space
  'UNAUTHORIZED', // server token or origin refused
  'PATH_REFUSED', // a path outside the folders the studio may use, or not a regular file
  'RUNTIME_FAILURE', // onnxruntime or another internal failure
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export class StudioError extends Error {
  readonly code: ErrorCode;
  readonly details?: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = 'StudioError';
    this.code = code;
    this.details = details;
  }

  toJSON(): { code: ErrorCode; message: string; details?: Record<string, unknown> } {
    return { code: this.code, message: this.message, ...(this.details ? { details: this.details } : {}) };
  }
}

export function isStudioError(e: unknown): e is StudioError {
  return e instanceof StudioError;
}

/** Wraps anything thrown into a StudioError so transports never leak raw exceptions. */
export function toStudioError(e: unknown): StudioError {
  if (e instanceof StudioError) return e;
  const err = e as NodeJS.ErrnoException | undefined;
  if (err && err.code === 'ENOSPC') return new StudioError('DISK_FULL', `Disk full: ${err.message}`);
  if (err && err.code === 'ENOENT') return new StudioError('NOT_FOUND', err.message);
  const message = err instanceof Error ? err.message : String(e);
  return new StudioError('RUNTIME_FAILURE', message);
}
