import { useStudioState } from './StoreContext.ts';

export function JobList({ imageUrl }: { imageUrl?: (id: string) => string }) {
  const { jobs, jobOrder, cancelJob } = useStudioState((s) => s);
  return (
    <section className="panel" aria-label="Jobs">
      <h2>Jobs</h2>
      {jobOrder.length === 0 && <p className="muted">No jobs yet.</p>}
      <ul className="job-list">
        {jobOrder.map((id) => {
          const job = jobs[id];
          const pct = job.total ? Math.round((100 * job.step) / job.total) : 0;
          const active = job.state === 'queued' || job.state === 'running';
          return (
            <li key={id} data-testid="job" data-state={job.state}>
              <div className="row">
                <strong>{job.kind}</strong>
                <span className="muted" data-testid="job-status">
                  {job.state}
                  {job.state === 'running' && ` · step ${job.step}/${job.total} · ${job.itPerSec.toFixed(2)} it/s`}
                </span>
                {active && <button onClick={() => void cancelJob(id)}>Cancel</button>}
              </div>
              <progress max={100} value={job.state === 'done' ? 100 : pct} aria-label="progress" />
              {job.error && <p role="alert" className="error">{job.error.code}: {job.error.message}</p>}
              <div className="thumbs">
                {job.preview && job.state === 'running' && <img src={job.preview} alt="preview" />}
                {imageUrl && job.images.map((img) => <img key={img.imageId} src={imageUrl(img.imageId)} alt="result" data-testid="result" />)}
              </div>
            </li>
          );
        })}
      </ul>
    </section>
  );
}
