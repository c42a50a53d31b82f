import { issueCommand } from '../../commands.ts';

/** What the canvas shows before any image: the three ways in. */
export function EmptyCanvas() {
  return (
    <div className="empty-canvas">
      <p className="empty-title">Open an image to edit</p>
      <p className="muted">Drop a PNG, JPEG or WebP here, paste one, or start from a generation (Generate in the run panel).</p>
      <button className="primary" onClick={() => issueCommand('file.open')}>
        Open image…
      </button>
    </div>
  );
}
