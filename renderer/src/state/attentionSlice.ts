import type { StateCreator } from 'zustand';
import { attentionAvailable, startAttentionJob, wordKey } from '../api/attention.ts';
import { codeOf, hintFor } from '../api/errorHints.ts';
import { resultUrl } from '../api/images.ts';
import type { ImageRef } from '../../../engine/api/schemas.ts';
import { plainPrompt } from '../editor/promptWords.ts';
import type { Problem } from './documentSlice.ts';
import { type AttentionGrid, attentionGridOf } from './modelsSlice.ts';
import type { StudioState } from './store.ts';

export interface AttentionState {
  status: 'idle' | 'running' | 'ready' | 'failed';
  jobId: string | null;
  /** The prompt the maps were made for; maps of an older prompt are not shown. */
  prompt: string;
  /** Word key → map image. */
  maps: Record<string, { imageId: string; url: string; overlay?: string }>;
  problem: Problem | null;
}

export interface AttentionSlice {
  attention: AttentionState;
  /** Runs the attention job for the edited prompt with the run panel's settings. */
  requestAttention(): Promise<void>;
  /** Called by the jobs slice for the attention job's terminal events. */
  attentionJobEnded(jobId: string, images: ImageRef[] | null, error?: { code: string; message: string }): Promise<void>;
  mapFor(word: string): { imageId: string; url: string; overlay?: string } | null;
}

/**
 * Latent downsampling of the maps: the coarsest the model has cross-attention at that still gives
 * ≥ 16 cells a side, else its finest (coarse for big images, the most detail for small ones).
 */
export function mapResolution(width: number, height: number, grid: AttentionGrid = { factor: 8, resolutions: [1, 2, 4] }): 1 | 2 | 4 | 8 {
  const latent = Math.min(width, height) / grid.factor;
  const fine = grid.resolutions.filter((r): r is 1 | 2 | 4 | 8 => [1, 2, 4, 8].includes(r)).sort((a, b) => a - b);
  if (!fine.length) return 1;
  return [...fine].reverse().find((r) => latent / r >= 16) ?? fine[0];
}

const IDLE: AttentionState = { status: 'idle', jobId: null, prompt: '', maps: {}, problem: null };

export const createAttentionSlice: StateCreator<StudioState, [], [], AttentionSlice> = (set, get) => ({
  attention: IDLE,
  async requestAttention() {
    const { run, prompt, connection, models } = get();
    if (!attentionAvailable()) return;
    if (!run.model) {
      set({ attention: { ...IDLE, status: 'failed', problem: { message: 'Choose a model first.', hint: 'Open Models & settings.' } } });
      return;
    }
    const text = plainPrompt(prompt.targetPrompt);
    try {
      set({ attention: { ...IDLE, status: 'running', prompt: text } });
      const jobId = await startAttentionJob(connection, {
        model: run.model, prompt: text, negativePrompt: run.negativePrompt, steps: run.steps, cfg: run.cfg,
        seed: run.seed, width: run.width, height: run.height, sampler: run.sampler, resolution: mapResolution(run.width, run.height, attentionGridOf(models.find((m) => m.path === run.model))),
      });
      set((s) => ({
        attention: { ...s.attention, jobId },
        jobs: { ...s.jobs, [jobId]: { ...(s.jobs[jobId] ?? { jobId, kind: 'generate', state: 'queued', step: 0, total: run.steps, itPerSec: 0, images: [], submittedAt: Date.now() }), op: 'jobs.attention', title: 'Attention maps' } },
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
