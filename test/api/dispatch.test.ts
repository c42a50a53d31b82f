import { describe, expect, it } from 'vitest';
import { OPERATIONS } from '../../engine/api/contract.ts';
import { dispatch } from '../../engine/api/dispatch.ts';
import { StudioError } from '../../engine/api/errors.ts';
import { createHandlers } from '../../engine/studio/handlers.ts';
import { BUNDLED_DEFAULT_MODEL } from '../../engine/catalog/defaultModel.ts';
import { fakeStudio } from '../support/fakeStudio.ts';

const handlers = createHandlers(fakeStudio());

const garbage: unknown[] = [null, 42, 'text', [], [1, 2], { unexpected: true }, { model: 5 }, { jobId: '' }, { __proto__: { x: 1 } }];

describe('dispatch validates every payload at the boundary', () => {
  it.each(OPERATIONS)('%s: garbage payloads give INVALID_REQUEST, never a throw', async (op) => {
    for (const payload of garbage) {
      const env = await dispatch(handlers, op, payload);
      // Only object payloads can be valid; scalars and arrays must always be refused.
      if (typeof payload !== 'object' || payload === null ? payload !== null : Array.isArray(payload)) expect(env.ok).toBe(false);
      if (!env.ok) {
        expect(env.error.code).toMatch(/INVALID_REQUEST|NOT_FOUND/);
        expect(env.error.message.length).toBeGreaterThan(5);
      }
    }
  });

  it('refuses unknown operations with a typed error', async () => {
    const env = await dispatch(handlers, 'models.delete', {});
    expect(env).toMatchObject({ ok: false, error: { code: 'INVALID_REQUEST' } });
    expect(await dispatch(handlers, { toString: () => 'x' }, {})).toMatchObject({ ok: false, error: { code: 'INVALID_REQUEST' } });
  });

  it('names the offending field', async () => {
    const env = await dispatch(handlers, 'jobs.generate', { model: BUNDLED_DEFAULT_MODEL, prompt: 'p', steps: -3 });
    expect(env.ok).toBe(false);
    if (!env.ok) expect(env.error.message).toContain('steps');
  });

  it('refuses images larger than the engine accepts', async () => {
    const env = await dispatch(handlers, 'jobs.generate', { model: BUNDLED_DEFAULT_MODEL, prompt: 'p', width: 100_000 });
    expect(env).toMatchObject({ ok: false, error: { code: 'INVALID_REQUEST' } });
  });

  it('fills defaults and accepts a minimal generate request', async () => {
    const env = await dispatch(handlers, 'jobs.generate', { model: BUNDLED_DEFAULT_MODEL, prompt: 'a cat', steps: 2, width: 64, height: 64 });
    expect(env.ok).toBe(true);
    if (env.ok) expect((env.result as { jobId: string }).jobId).toMatch(/[0-9a-f-]{36}/);
  });

  it('turns handler exceptions into typed errors', async () => {
    const failing = { ...handlers, 'jobs.list': async () => { throw new StudioError('DISK_FULL', 'no space'); } };
    expect(await dispatch(failing, 'jobs.list', {})).toEqual({ ok: false, error: { code: 'DISK_FULL', message: 'no space' } });
    const raw = { ...handlers, 'jobs.list': async () => { throw new TypeError('boom'); } };
    expect(await dispatch(raw, 'jobs.list', {})).toMatchObject({ ok: false, error: { code: 'RUNTIME_FAILURE', message: 'boom' } });
  });

  it('refuses a handler response that breaks the contract', async () => {
    const lying = { ...handlers, 'jobs.list': async () => ({ jobs: 'none' }) } as unknown as typeof handlers;
    expect(await dispatch(lying, 'jobs.list', {})).toMatchObject({ ok: false, error: { code: 'RUNTIME_FAILURE' } });
  });

  it('unknown image ids and job ids are NOT_FOUND', async () => {
    expect(await dispatch(handlers, 'images.read', { imageId: 'nope' })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    expect(await dispatch(handlers, 'jobs.cancel', { jobId: 'nope' })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
  });
});
