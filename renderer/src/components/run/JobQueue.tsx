import { useEffect, useState } from 'react';
import { hintFor } from '../../api/errorHints.ts';
import { formatDuration, remainingSeconds } from '../../editor/timing.ts';
import type { JobView } from '../../state/jobsSlice.ts';
import { useStudioState } from '../StoreContext.ts';

const KIND_LABEL: Record<string, string> = { generate: 'Generate', edit: 'Edit', inpaint: 'Inpaint', img2img: 'Image to image', stylize: 'Stylize', attention: 'Attention maps' };
const STATE_LABEL: Record<JobView['state'], string> = { queued: 'Queued', running: 'Running', done: 'Done', failed: 'Failed', cancelled: 'Cancelled' };

/** Running first, then queued in the order they will run, then finished ones newest first. */
function ordered(jobOrder: string[], jobs: Record<string, JobView>): string[] {
  const active = jobOrder.filter((id) => jobs[id].state === 'running' || jobs[id].state === 'queued');
  active.sort((a, b) => (jobs[a].state === 'running' ? -1 : 0) - (jobs[b].state === 'running' ? -1 : 0) || jobs[a].submittedAt - jobs[b].submittedAt);
  return [...active, ...jobOrder.filter((id) => !active.includes(id))];
}

/** Re-renders once a second while something runs, for elapsed/remaining times. */
function useClock(active: boolean): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!active) return;
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, [active]);
  return active ? now : Date.now();
}

/** The queue: every job with its progress, times, live preview and Cancel. */
export function JobQueue() {
  const { jobs, jobOrder, cancelJob } = useStudioState((s) => ({ jobs: s.jobs, jobOrder: s.jobOrder, cancelJob: s.cancelJob }));
  const active = jobOrder.some((id) => jobs[id].state === 'running' || jobs[id].state === 'queued');
  const now = useClock(active);
  return (
    <section className="queue" aria-labelledby="queue-heading">
      <h2 id="queue-heading">Queue</h2>
      {jobOrder.length === 0 && <p className="muted small queue-empty">No runs yet. Jobs queue and run one at a time.</p>}
      <ol className="job-list" aria-label="Jobs">
        {ordered(jobOrder, jobs).slice(0, 12).map((id) => {
          const job = jobs[id];
          const running = job.state === 'running';
          const end = job.finishedAt ?? now;
          const elapsed = job.startedAt ? (end - job.startedAt) / 1000 : null;
          const remaining = running && elapsed !== null ? remainingSeconds(job.step, job.total, elapsed) : null;
          const pct = job.state === 'done' ? 100 : job.total ? Math.round((100 * job.step) / job.total) : 0;
          return (
            <li key={id} className={`job ${job.state}`} data-testid="job" data-state={job.state} data-kind={job.kind}>
              <div className="job-head">
                {job.preview && running && <img className="job-preview" src={job.preview} alt="Live preview" />}
                <div className="job-text">
                  <strong className="job-title">{job.title ?? KIND_LABEL[job.kind]}</strong>
                  <span className="muted small" data-testid="job-status">
                    {STATE_LABEL[job.state]}
                    {running && ` · step ${job.step}/${job.total} · ${job.itPerSec.toFixed(2)} it/s`}
                    {elapsed !== null && ` · ${formatDuration(elapsed)} elapsed`}
                    {running && ` · ${formatDuration(remaining)} left`}
                  </span>
                </div>
                {(job.state === 'queued' || running) && (
                  <button className="small" onClick={() => void cancelJob(id)} aria-label={`Cancel ${KIND_LABEL[job.kind]} job`} data-testid="job-cancel">
                    Cancel
                  </button>
                )}
              </div>
              {(running || job.state === 'queued') && <progress max={100} value={pct} aria-label={`${KIND_LABEL[job.kind]} progress`} />}
              {job.error && (
                <div role="alert" className="problem compact">
                  <p className="problem-message">{job.error.message}</p>
                  <p className="problem-hint">{hintFor(job.error.code)}</p>
                </div>
              )}
            </li>
          );
        })}
      </ol>
    </section>
  );
}
