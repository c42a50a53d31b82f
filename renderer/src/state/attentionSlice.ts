import type { StateCreator } from 'zustand';
import { attentionAvailable, startAttentionJob, wordKey } from '../api/attention.ts';
import { attentionKey, attentionRequestFor } from './attentionRequest.ts';
import { codeOf, hintFor } from '../api/errorHints.ts';
import { resultUrl } from '../api/images.ts';
import type { ImageRef } from '../../../engine/api/schemas.ts';
import type { Problem } from './documentSlice.ts';
import type { StudioState } from './store.ts';

export { mapResolution } from './mapResolution.ts';

export interface AttentionState {
  status: 'idle' | 'running' | 'ready' | 'failed';
  jobId: string | null;
  /** The prompt the maps were read with. */
  prompt: string;
  /** The working image and prompt they describe (attentionKey); maps of another image are not shown. */
  key: string;
  /** Word key → map image. */
  maps: Record<string, { imageId: string; url: string; overlay?: string }>;
  problem: Problem | null;
}

export interface AttentionSlice {
  attention: AttentionState;
  /** Runs the attention job for the working image (its recorded seed and prompt, or by inversion). */
  requestAttention(): Promise<void>;
  /** Called by the jobs slice for the attention job's terminal events. */
  attentionJobEnded(jobId: string, images: ImageRef[] | null, error?: { code: string; message: string }): Promise<void>;
  mapFor(word: string): { imageId: string; url: string; overlay?: string } | null;
}

const IDLE: AttentionState = { status: 'idle', jobId: null, prompt: '', key: '', maps: {}, problem: null };

export const createAttentionSlice: StateCreator<StudioState, [], [], AttentionSlice> = (set, get) => ({
  attention: IDLE,
  async requestAttention() {
    const { connection } = get();
    if (!attentionAvailable()) return;
    const request = attentionRequestFor(get());
    if ('problem' in request) {
      set({ attention: { ...IDLE, status: 'failed', problem: { message: request.problem, hint: '' } } });
      return;
    }
    const steps = request.steps;
    try {
      set({ attention: { ...IDLE, status: 'running', prompt: request.prompt, key: attentionKey(get()) } });
      const jobId = await startAttentionJob(connection, request);
      set((s) => ({
        attention: { ...s.attention, jobId },
        jobs: { ...s.jobs, [jobId]: { ...(s.jobs[jobId] ?? { jobId, kind: 'generate', state: 'queued', step: 0, total: steps, itPerSec: 0, images: [], submittedAt: Date.now() }), op: 'jobs.attention', title: 'Attention maps' } },
        jobOrder: s.jobOrder.includes(jobId) ? s.jobOrder : [jobId, ...s.jobOrder],
      }));
    } catch (e) {
      set({ attention: { ...IDLE, status: 'failed', problem: { message: `No attention maps: ${(e as Error).message}`, hint: hintFor(codeOf(e)) } } });
    }
  },
  async attentionJobEnded(jobId, images, error) {
    if (get().attention.jobId !== jobId) return;
    if (!images) {
      set((s) => ({ attention: { ...s.attention, status: 'failed', problem: error ? { message: error.message, hint: hintFor(error.code) } : null } }));
      return;
    }
    const maps: AttentionState['maps'] = {};
    for (const img of images) {
      // Each map is labelled with its word (ImageRef.label, added with the attention operation).
      const label = (img as { label?: string }).label;
      if (!label) continue;
      const url = await resultUrl(get().connection, img.imageId);
      const overlay = await get().platform.heatOverlayUrl(url).catch(() => undefined);
      maps[wordKey(label)] = { imageId: img.imageId, url, ...(overlay ? { overlay } : {}) };
    }
    set((s) => ({ attention: { ...s.attention, status: 'ready', maps } }));
  },
  mapFor(word) {
    const a = get().attention;
    return a.status === 'ready' ? (a.maps[wordKey(word)] ?? null) : null;
  },
});
