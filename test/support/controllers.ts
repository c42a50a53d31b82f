import { expect } from 'vitest';
import { StudioError } from '../../engine/api/errors.ts';
import type { AttentionController, ControllerPlan } from '../../engine/controllers/controller.ts';
import type { NetworkSites } from '../../engine/controllers/site.ts';

/** A controller for tests: its plan is `fields` over empty defaults, or what `plan(sites)` returns. */
export function testController(fields: Partial<ControllerPlan> & { name: string }, check?: (sites: NetworkSites) => void): AttentionController {
  return {
    name: fields.name,
    plan(sites) {
      check?.(sites);
      return { priority: 100, conflicts: [], signature: '', inputs: [], outputs: [], ...fields };
    },
  };
}

/** The StudioError `fn` throws (fails the test when it throws nothing). */
export function refusal(fn: () => unknown): StudioError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(StudioError);
    return e as StudioError;
  }
  throw new Error('expected a refusal');
}
