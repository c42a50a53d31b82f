import type { JobEvent } from '../api/events.ts';

/** A one-line terminal progress bar for a job's events (stderr, so stdout stays scriptable). */
export function progressPrinter(stream: NodeJS.WriteStream = process.stderr): (e: JobEvent) => void {
  const tty = stream.isTTY;
  let last = '';
  return (e) => {
    if (e.type !== 'progress') {
      if (e.type !== 'queued' && e.type !== 'started' && last && tty) stream.write('\n');
      return;
    }
    const width = 30;
    const filled = Math.round((width * e.step) / Math.max(1, e.total));
    const line = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${e.step}/${e.total}  ${e.itPerSec.toFixed(2)} it/s`;
    if (tty) stream.write(`\r${line}`);
    else if (e.step === e.total) stream.write(`${line}\n`);
    last = line;
  };
}
