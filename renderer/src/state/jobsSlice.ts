import type { StateCreator } from 'zustand';
import type { OperationName } from '../../../engine/api/operations.ts';
import type { JobEvent, JobKind } from '../../../engine/api/events.ts';
import type { ImageRef } from '../../../engine/api/schemas.ts';
import { codeOf, hintFor } from '../api/errorHints.ts';
import { resultUrl } from '../api/images.ts';
import { imagePromptFields } from '../editor/imagePrompt.ts';
import { isMaskEmpty, rasterizeMask } from '../editor/mask.ts';
import { buildJobRequest, resolveSeed, type ImageInput, type RunKind } from '../editor/recipe.ts';
import { editBlocker } from '../editor/runBlockers.ts';
import type { ImageLayer, Problem } from './documentSlice.ts';
import { editConditions } from './editConditions.ts';
import { listedIpAdapters } from './modelsSlice.ts';
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
  /** Client clock: when the job was submitted and when it started running. */
  submittedAt: number;
  startedAt?: number;
  finishedAt?: number;
  op?: string;
  request?: Record<string, unknown>;
  /** One line for the queue: "Edit · swap red → green". */
  title?: string;
  /** The working image the job was given, if it was given one: what its result was made from. */
  input?: ImageLayer;
}

/** A request ready to submit, and the seed it records when it has one. */
export interface BuiltJob {
  op: OperationName;
  request: object;
  seed?: number;
}

export interface JobsSlice {
  jobs: Record<string, JobView>;
  jobOrder: string[];
  runProblem: Problem | null;
  submitting: boolean;
  lastSeed: number | null;
  runJob(kind: RunKind, title?: string): Promise<string | null>;
  /** Builds a request from the current state and queues it; a problem shows in the run bar, and null is returned. */
  submitJob(kind: JobKind, build: (s: StudioState) => Promise<BuiltJob>, title?: string): Promise<string | null>;
  cancelJob(jobId: string): Promise<void>;
  applyJobEvent(event: JobEvent): void;
}

function reduce(job: JobView, event: JobEvent, now: number): JobView {
  switch (event.type) {
    case 'queued':
      return job;
    case 'started':
      return { ...job, state: 'running', startedAt: job.startedAt ?? now };
    case 'progress':
      return { ...job, state: 'running', startedAt: job.startedAt ?? now, step: event.step, total: event.total, itPerSec: event.itPerSec, preview: event.preview ?? job.preview };
    case 'done':
      return { ...job, state: 'done', images: event.images, finishedAt: now, step: job.total || job.step };
    case 'failed':
      return { ...job, state: 'failed', error: event.error, finishedAt: now };
    case 'cancelled':
      return { ...job, state: 'cancelled', finishedAt: now };
  }
}

const newJob = (jobId: string, kind: JobKind, now: number): JobView => ({ jobId, kind, state: 'queued', step: 0, total: 0, itPerSec: 0, images: [], submittedAt: now });

export const createJobsSlice: StateCreator<StudioState, [], [], JobsSlice> = (set, get) => ({
  jobs: {},
  jobOrder: [],
  runProblem: null,
  submitting: false,
  lastSeed: null,
  runJob(kind, title) {
    return get().submitJob(kind, async (s) => {
      // The shortcut and the menu reach here without the button: refuse with the button's reason.
      const blocked = kind === 'edit' ? editBlocker(editConditions(s)) : null;
      if (blocked) throw new Error(blocked);
      const seed = resolveSeed(s.run);
      const mask = kind === 'inpaint' || kind === 'edit' ? await encodeCurrentMask(s) : undefined;
      const imagePrompt = imagePromptFields(s.imagePrompt, listedIpAdapters(s.models));
      return { ...buildJobRequest(kind, s.run, s.prompt, seed, { image: s.source?.input, mask, imagePrompt }), seed };
    }, title);
  },
  async submitJob(kind, build, title) {
    const s = get();
    set({ runProblem: null, submitting: true });
    try {
      const { op, request, seed } = await build(s);
      const call = s.connection.client[op] as unknown as (r: object) => Promise<{ jobId: string }>;
      const { jobId } = await call(request);
      // Events may have arrived before the reply; keep whatever they already recorded.
      set((st) => {
        const existing = st.jobs[jobId] ?? newJob(jobId, kind, Date.now());
        const steps = (request as { steps?: number }).steps ?? 0;
        const given = ('image' in request || 'content' in request) && s.source ? { input: s.source } : {};
        const job: JobView = { ...existing, kind, op, request: request as Record<string, unknown>, total: existing.total || steps, title, ...given };
        return { jobs: { ...st.jobs, [jobId]: job }, jobOrder: st.jobOrder.includes(jobId) ? st.jobOrder : [jobId, ...st.jobOrder], ...(seed !== undefined ? { lastSeed: seed } : {}) };
      });
      return jobId;
    } catch (e) {
      set({ runProblem: { message: (e as Error).message, hint: codeOf(e) ? hintFor(codeOf(e)) : '' } });
      return null;
    } finally {
      set({ submitting: false });
    }
  },
  async cancelJob(jobId) {
    try {
      await get().connection.client['jobs.cancel']({ jobId });
    } catch (e) {
      set({ runProblem: { message: `Could not cancel: ${(e as Error).message}`, hint: hintFor(codeOf(e)) } });
    }
  },
  applyJobEvent(event) {
    const now = Date.now();
    set((s) => {
      const existing = s.jobs[event.jobId] ?? newJob(event.jobId, event.type === 'queued' ? event.kind : 'generate', now);
      return {
        jobs: { ...s.jobs, [event.jobId]: reduce(existing, event, now) },
        jobOrder: s.jobOrder.includes(event.jobId) ? s.jobOrder : [event.jobId, ...s.jobOrder],
      };
    });
    // Attention maps are a view aid, not results: they never enter the history strip.
    if (get().jobs[event.jobId]?.op === 'jobs.attention' || get().attention.jobId === event.jobId) {
      if (event.type === 'done') void get().attentionJobEnded(event.jobId, event.images);
      else if (event.type === 'failed') void get().attentionJobEnded(event.jobId, null, event.error);
      else if (event.type === 'cancelled') void get().attentionJobEnded(event.jobId, null);
      return;
    }
    if (event.type === 'done') void collectResults(get, set, event.jobId, event.images);
  },
});

/** The painted mask as a PNG for the engine; undefined when nothing is painted. */
export async function encodeCurrentMask(s: StudioState): Promise<ImageInput | undefined> {
  if (!s.source) return undefined;
  const raster = rasterizeMask(s.maskOps, s.source.width, s.source.height);
  return isMaskEmpty(raster) ? undefined : { base64: await s.platform.encodeMaskPng(raster) };
}

/**
 * Adds a finished job's images to the history strip. The newest becomes the working image
 * (beside what it was made from), unless the user pinned the current one: then it is shown
 * beside it as the result.
 */
async function collectResults(get: () => StudioState, set: (p: Partial<StudioState>) => void, jobId: string, images: ImageRef[]): Promise<void> {
  const job = get().jobs[jobId];
  for (const img of images) {
    let url: string;
    try {
      url = await resultUrl(get().connection, img.imageId);
    } catch (e) {
      set({ runProblem: { message: `The result could not be loaded: ${(e as Error).message}`, hint: hintFor(codeOf(e)) } });
      continue;
    }
    get().addResult({
      imageId: img.imageId, jobId, kind: job?.kind ?? 'generate', op: job?.op ?? 'jobs.generate', request: job?.request ?? {},
      url, width: img.width, height: img.height, seed: img.seed, createdAt: Date.now(),
    });
    if (get().source && get().pinned) get().viewResult(img.imageId);
    else get().continueFrom(img.imageId, job?.input ?? null);
  }
}
