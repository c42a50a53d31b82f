import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { StudioError, toStudioError } from '../../api/errors.ts';
import type { JobEvent, JobKind, JobSummary } from '../../api/events.ts';
import type { ImageRef } from '../../api/schemas.ts';

/** What a running job can tell the queue. */
export interface JobContext {
  readonly jobId: string;
  /** Aborted when the user cancels; pipelines check it between steps. */
  readonly signal: AbortSignal;
  progress(step: number, total: number, preview?: string): void;
  /** Throws a CANCELLED StudioError when the job has been cancelled. */
  throwIfCancelled(): void;
}

export type JobRunner = (ctx: JobContext) => Promise<ImageRef[]>;

interface JobRecord {
  summary: JobSummary;
  controller: AbortController;
  run: JobRunner;
  startedAt?: number;
  lastStepAt?: number;
}

/** How many finished jobs stay listed. */
const HISTORY_LIMIT = 200;

/**
 * Runs jobs one at a time (two cores and one set of weights leave nothing to gain
 * from running them side by side) and emits their events in order.
 */
export class JobQueue {
  private readonly jobs = new Map<string, JobRecord>();
  private readonly pending: string[] = [];
  private readonly emitter = new EventEmitter();
  private running: string | null = null;

  onEvent(listener: (event: JobEvent) => void): () => void {
    this.emitter.on('event', listener);
    return () => this.emitter.off('event', listener);
  }

  submit(kind: JobKind, run: JobRunner): string {
    const jobId = randomUUID();
    this.jobs.set(jobId, {
      summary: { jobId, kind, state: 'queued', step: 0, total: 0, images: [] },
      controller: new AbortController(),
      run,
    });
    this.pending.push(jobId);
    this.emit({ type: 'queued', jobId, at: Date.now(), kind, position: this.pending.length - 1 + (this.running ? 1 : 0) });
    queueMicrotask(() => void this.pump());
    this.trimHistory();
    return jobId;
  }

  /** Cancels a queued or running job; returns false when it had already ended or never existed. */
  cancel(jobId: string): boolean {
    const job = this.jobs.get(jobId);
    if (!job) throw new StudioError('NOT_FOUND', `No job ${jobId}`);
    const { state } = job.summary;
    if (state === 'queued') {
      this.pending.splice(this.pending.indexOf(jobId), 1);
      job.controller.abort();
      this.finish(job, 'cancelled');
      return true;
    }
    if (state === 'running') {
      job.controller.abort();
      return true;
    }
    return false;
  }

  list(): JobSummary[] {
    return [...this.jobs.values()].map((j) => structuredClone(j.summary));
  }

  get(jobId: string): JobSummary | undefined {
    const job = this.jobs.get(jobId);
    return job ? structuredClone(job.summary) : undefined;
  }

  /** Resolves when the job has ended, with its final summary. */
  waitFor(jobId: string): Promise<JobSummary> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const s = this.get(jobId);
        if (!s) {
          reject(new StudioError('NOT_FOUND', `No job ${jobId}`));
          return true;
        }
        if (s.state === 'done' || s.state === 'failed' || s.state === 'cancelled') {
          resolve(s);
          return true;
        }
        return false;
      };
      if (check()) return;
      const off = this.onEvent((e) => {
        if (e.jobId === jobId && check()) off();
      });
    });
  }

  private async pump(): Promise<void> {
    if (this.running) return;
    const jobId = this.pending.shift();
    if (!jobId) return;
    const job = this.jobs.get(jobId)!;
    this.running = jobId;
    job.summary.state = 'running';
    job.startedAt = Date.now();
    this.emit({ type: 'started', jobId, at: job.startedAt });
    try {
      const images = await job.run(this.contextFor(job));
      if (job.controller.signal.aborted) throw new StudioError('CANCELLED', 'Job cancelled');
      job.summary.images = images;
      this.finish(job, 'done');
    } catch (e) {
      const err = toStudioError(e);
      if (err.code === 'CANCELLED' || job.controller.signal.aborted) this.finish(job, 'cancelled');
      else {
        job.summary.error = err.toJSON();
        this.finish(job, 'failed');
      }
    } finally {
      this.running = null;
      void this.pump();
    }
  }

  private contextFor(job: JobRecord): JobContext {
    const { jobId } = job.summary;
    const signal = job.controller.signal;
    return {
      jobId,
      signal,
      throwIfCancelled: () => {
        if (signal.aborted) throw new StudioError('CANCELLED', 'Job cancelled');
      },
      progress: (step, total, preview) => {
        if (signal.aborted) return;
        const now = Date.now();
        const elapsed = (now - (job.startedAt ?? now)) / 1000;
        job.summary.step = step;
        job.summary.total = total;
        job.lastStepAt = now;
        const itPerSec = elapsed > 0 ? step / elapsed : 0;
        this.emit({ type: 'progress', jobId, at: now, step, total, itPerSec, ...(preview ? { preview } : {}) });
      },
    };
  }

  private finish(job: JobRecord, state: 'done' | 'failed' | 'cancelled'): void {
    job.summary.state = state;
    const at = Date.now();
    const { jobId } = job.summary;
    if (state === 'done') this.emit({ type: 'done', jobId, at, images: job.summary.images });
    else if (state === 'failed') this.emit({ type: 'failed', jobId, at, error: job.summary.error! });
    else this.emit({ type: 'cancelled', jobId, at });
  }

  private emit(event: JobEvent): void {
    this.emitter.emit('event', event);
  }

  private trimHistory(): void {
    if (this.jobs.size <= HISTORY_LIMIT) return;
    for (const [id, job] of this.jobs) {
      if (this.jobs.size <= HISTORY_LIMIT) break;
      if (['done', 'failed', 'cancelled'].includes(job.summary.state)) this.jobs.delete(id);
    }
  }
}
