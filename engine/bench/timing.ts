/** Seconds of `warmup` discarded runs, then `repeats` timed runs; the median is the figure. */
export async function timeRuns(fn: () => Promise<unknown>, repeats: number, warmup = 1): Promise<{ median: number; best: number; first: number; runs: number[] }> {
  let first = NaN;
  for (let i = 0; i < warmup; i++) {
    const t0 = performance.now();
    await fn();
    if (i === 0) first = (performance.now() - t0) / 1000;
  }
  const runs: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    await fn();
    runs.push((performance.now() - t0) / 1000);
  }
  const sorted = [...runs].sort((a, b) => a - b);
  return { median: sorted[Math.floor((sorted.length - 1) / 2)], best: sorted[0], first, runs };
}

export async function timeOnce<T>(fn: () => Promise<T>): Promise<{ seconds: number; value: T }> {
  const t0 = performance.now();
  const value = await fn();
  return { seconds: (performance.now() - t0) / 1000, value };
}
