/**
 * What to do next, per typed error code: shown under the message where the error happened,
 * so a failure never ends in a dead end.
 */
const HINTS: Record<string, string> = {
  INVALID_REQUEST: 'Check the highlighted settings and try again.',
  NOT_FOUND: 'The file or result is gone; open the image again or rescan the models folder.',
  CHECKPOINT_CORRUPT: 'The model file is damaged; download it again or pick another model.',
  CHECKPOINT_UNSUPPORTED: 'This model or engine build cannot do this yet; try Generate or Inpaint, or another model.',
  CHECKPOINT_INCOMPLETE: 'The model is missing parts; re-download it or add its config file beside it.',
  SHAPE_MISMATCH: 'Try a size that is a multiple of 8 and close to the model’s native resolution.',
  IMAGE_INVALID: 'Use a PNG, JPEG or WebP image no larger than 4096 pixels per side.',
  CANCELLED: 'Run it again when you are ready.',
  DISK_FULL: 'Free some disk space or choose another folder, then retry.',
  UNAUTHORIZED: 'Open the URL printed by `latent-studio serve`; it carries the access token.',
  RUNTIME_FAILURE: 'Try fewer steps or a smaller size; if it persists, restart the studio.',
};

export function hintFor(code: string | undefined): string {
  return (code && HINTS[code]) || 'Try again; if it persists, restart the studio.';
}

/** The code of an error thrown by a client call, when it has one. */
export function codeOf(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}
