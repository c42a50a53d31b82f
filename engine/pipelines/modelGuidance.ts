import type { ImageModelSpec } from '../models/spec.ts';

/**
 * The request with the model's own guidance scale where it names none (a small model may be
 * meant for a lower scale than SD's 7.5), so sampling, the recipe and the A1111 parameters all
 * record the scale that ran.
 */
export function withModelGuidance<T extends { cfg?: number }>(request: T, spec: Pick<ImageModelSpec, 'guidanceScale'>): T & { cfg: number } {
  return { ...request, cfg: request.cfg ?? spec.guidanceScale };
}
