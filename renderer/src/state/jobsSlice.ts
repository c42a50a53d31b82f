import type { StateCreator } from 'zustand';
import type { RequestOf } from '../../../engine/api/contract.ts';
import type { JobEvent, JobKind } from '../../../engine/api/events.ts';
import type { ImageRef } from '../../../engine/api/schemas.ts';
import type { StudioState } from './store.ts';

export interface JobView {
  jobId: string;
  kind: JobKind;
  state: 'queued' | 'running' | 'done' | 'failed' | 'cancelled';
  step: number;
  total: number;
  itPerSec: number;
  preview?: string;
  images: ImageRef[];
  error?: { code: string; message: string };
  startedAt: number;
}

export interface JobsSlice {
  jobs: Record<string, JobView>;
  jobOrder: string[];
  jobsError: string | null;
  generate(request: RequestOf<'jobs.generate'>): Promise<string | null>;
  cancelJob(jobId: string): Promise<void>;
  applyJobEvent(event: JobEvent): void;
}

function reduce(job: JobView, event: JobEvent): JobView {
  switch (event.type) {
    case 'queued':
      return job;
    case 'started':
      return { ...job, state: 'running' };
    case 'progress':
      return { ...job, state: 'running', step: event.step, total: event.total, itPerSec: event.itPerSec, preview: event.preview ?? job.preview };
    case 'done':
      return { ...job, state: 'done', images: event.images };
    case 'failed':
      return { ...job, state: 'failed', error: event.error };
    case 'cancelled':
      return { ...job, state: 'cancelled' };
  }
}

export const createJobsSlice: StateCreator<StudioState, [], [], JobsSlice> = (set, get) => ({
  jobs: {},
  jobOrder: [],
  jobsError: null,
  async generate(request) {
    set({ jobsError: null });
    try {
      const { jobId } = await get().connection.client['jobs.generate'](request);
      // Events may have arrived before the reply; keep whatever they already recorded.
      set((s) => ({
        jobs: { ...s.jobs, [jobId]: s.jobs[jobId] ?? { jobId, kind: 'generate', state: 'queued', step: 0, total: request.steps ?? 0, itPerSec: 0, images: [], startedAt: Date.now() } },
        jobOrder: s.jobOrder.includes(jobId) ? s.jobOrder : [jobId, ...s.jobOrder],
      }));
      return jobId;
    } catch (e) {
      set({ jobsError: (e as Error).message });
      return null;
    }
  },
  async cancelJob(jobId) {
    await get().connection.client['jobs.cancel']({ jobId });
  },
  applyJobEvent(event) {
    set((s) => {
      const existing =
        s.jobs[event.jobId] ??
        ({ jobId: event.jobId, kind: event.type === 'queued' ? event.kind : 'generate', state: 'queued', step: 0, total: 0, itPerSec: 0, images: [], startedAt: event.at } satisfies JobView);
      return {
        jobs: { ...s.jobs, [event.jobId]: reduce(existing, event) },
        jobOrder: s.jobOrder.includes(event.jobId) ? s.jobOrder : [event.jobId, ...s.jobOrder],
      };
    });
  },
});
