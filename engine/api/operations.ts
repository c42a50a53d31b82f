/**
 * The names of the Studio API's operations as plain data, so that the preload script and
 * the renderer can enumerate channels without loading the schemas. `contract.ts` is keyed
 * by exactly these names (checked at compile time).
 */
export const OPERATION_NAMES = [
  'models.list',
  'models.inspect',
  'jobs.generate',
  'jobs.img2img',
  'jobs.edit',
  'jobs.inpaint',
  'jobs.stylize',
  'jobs.attention',
  'jobs.cancel',
  'jobs.list',
  'images.read',
  'images.export',
  'images.encode',
  'images.recipe',
  'settings.get',
  'settings.set',
] as const;

export type OperationName = (typeof OPERATION_NAMES)[number];

/** Electron IPC channel of an operation; job events travel on JOB_EVENT_CHANNEL. */
export const channelOf = (op: OperationName): string => `studio:${op}`;
export const JOB_EVENT_CHANNEL = 'studio:job-event';

/** `models.list` → ['models', 'list']: the preload groups operations by domain. */
export function splitOperation(op: OperationName): [string, string] {
  const [domain, method] = op.split('.') as [string, string];
  return [domain, method];
}
