import { describe, expect, it } from 'vitest';
import type { JobEvent } from '../../engine/api/events.ts';
import { StudioError } from '../../engine/api/errors.ts';
import { JobQueue } from '../../engine/studio/jobs/queue.ts';

const steps = (n: number, delay = 2) => async (ctx: Parameters<Parameters<JobQueue['submit']>[1]>[0]) => {
  for (let i = 1; i <= n; i++) {
    ctx.throwIfCancelled();
    await new Promise((r) => setTimeout(r, delay));
    ctx.progress(i, n);
  }
  return [];
};

describe('JobQueue', () => {
  it('emits queued, started, progress for every step, then done, in order', async () => {
    const q = new JobQueue();
    const events: JobEvent[] = [];
    q.onEvent((e) => events.push(e));
    const id = q.submit('generate', steps(4));
    const summary = await q.waitFor(id);
    expect(summary.state).toBe('done');
    expect(events.map((e) => e.type)).toEqual(['queued', 'started', 'progress', 'progress', 'progress', 'progress', 'done']);
    const progress = events.filter((e): e is Extract<JobEvent, { type: 'progress' }> => e.type === 'progress');
    expect(progress.map((p) => p.step)).toEqual([1, 2, 3, 4]);
    expect(progress.every((p) => p.total === 4 && p.itPerSec > 0)).toBe(true);
  });

  it('runs jobs one after another and cancels queued and running jobs', async () => {
    const q = new JobQueue();
    const a = q.submit('generate', steps(50, 5));
    const b = q.submit('generate', steps(3));
    const c = q.submit('generate', steps(3));
    expect(q.get(b)?.state).toBe('queued');
    expect(q.cancel(b)).toBe(true);
    await new Promise((r) => setTimeout(r, 30));
    expect(q.cancel(a)).toBe(true);
    expect((await q.waitFor(a)).state).toBe('cancelled');
    expect((await q.waitFor(b)).state).toBe('cancelled');
    expect((await q.waitFor(c)).state).toBe('done');
    expect(q.cancel(c)).toBe(false);
  });

  it('reports failures with their typed code', async () => {
    const q = new JobQueue();
    const id = q.submit('inpaint', async () => {
      throw new StudioError('SHAPE_MISMATCH', 'mask is 10x10, image 64x64');
    });
    const s = await q.waitFor(id);
    expect(s.state).toBe('failed');
    expect(s.error).toEqual({ code: 'SHAPE_MISMATCH', message: 'mask is 10x10, image 64x64' });
  });
});
