/**
 * Elapsed and remaining time of a running job. The remaining time comes from the job's
 * own average pace (elapsed / steps done) rather than the instantaneous it/s, which jumps
 * when a preview is decoded.
 */
export function remainingSeconds(step: number, total: number, elapsedSeconds: number): number | null {
  if (step <= 0 || total <= 0 || step > total) return null;
  return (elapsedSeconds / step) * (total - step);
}

export function formatDuration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '–';
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, '0')}m`;
}
