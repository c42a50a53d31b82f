import type { BenchResults } from './run.ts';

const gib = (mib: number) => `${(mib / 1024).toFixed(2)} GiB`;

/** The bench figures as a plain-text table (the JSON file has every run). */
export function formatBench(r: BenchResults): string {
  const rows: string[][] = [['measure', 'value', 'note']];
  rows.push(['MatMul 2048² fp32', `${r.matmul.gflops.toFixed(1)} GFLOP/s`, `ceiling (D5); ${r.matmul.atEnd ? `${r.matmul.atEnd.toFixed(1)} at the end of the run` : ''}`]);
  if (r.unet) {
    rows.push(['UNet step 512², batch 2', `${r.unet.seconds.toFixed(2)} s`, `${r.unet.gflopPerStep.toFixed(0)} GFLOP → ${r.unet.gflops.toFixed(1)} GFLOP/s = ${(r.unet.ratioToMatmul * 100).toFixed(0)}% of MatMul (target ≥ 50%)`]);
    rows.push(['  fastest run', `${r.unet.bestSeconds.toFixed(2)} s`, `${r.unet.bestGflops.toFixed(1)} GFLOP/s = ${(r.unet.bestRatioToMatmul * 100).toFixed(0)}% of the fastest MatMul (${r.matmul.bestGflops.toFixed(1)})`]);
  }
  if (r.textEncoder) rows.push(['text encoder, batch 2', `${r.textEncoder.seconds.toFixed(3)} s`, 'CLIP ViT-L/14, 77 tokens']);
  if (r.vaeDecode) rows.push(['VAE decode 512²', `${r.vaeDecode.seconds.toFixed(2)} s`, 'KL-f8 decoder, one image']);
  if (r.peakRssMiB512 !== undefined) rows.push(['peak RSS, SD 1.5 at 512²', gib(r.peakRssMiB512), 'text encoder + UNet + VAE loaded (target < 6 GB)']);
  const start = [['text encoder', r.textEncoder?.sessionSeconds], ['UNet', r.unetSessionSeconds], ['VAE decoder', r.vaeDecode?.sessionSeconds]] as const;
  for (const [name, sec] of start) if (sec !== undefined) rows.push([`session start, ${name}`, `${sec.toFixed(1)} s`, 'onnxruntime session creation (default weight cast)']);
  for (const w of r.weightCast ?? []) {
    rows.push([
      `${w.network}, weights cast at ${w.config}`,
      `${w.seconds.toFixed(2)} s/run`,
      `${w.pairedVsLoad !== undefined ? `×${w.pairedVsLoad.toFixed(2)} vs load (median of paired rounds), ` : ''}session ${w.sessionSeconds.toFixed(1)} s, +${gib(w.loadPeakMiB)} peak loading, +${gib(w.residentMiB)} resident`,
    ]);
  }
  for (const f of r.firstImage ?? []) {
    rows.push([`first image ${f.size}², ${f.steps} steps, ${f.cache}, cast at ${f.weightCast}`, `${f.seconds.toFixed(1)} s`, `process start → PNG; whole-process peak RSS ${gib(f.peakRssMiB)}`]);
  }
  for (const t of r.tome) {
    rows.push([
      `ToMe ${t.size}², ratio ${t.ratio || 'off'}`,
      `${t.seconds.toFixed(2)} s/step (best ${t.bestSeconds.toFixed(2)})`,
      `${t.speedup ? `×${t.speedup.toFixed(2)} vs off (${t.pairedSpeedups ? `median of paired rounds; best runs ×${t.bestSpeedup!.toFixed(2)}` : `best runs; medians ×${t.medianSpeedup!.toFixed(2)}`}; FLOPs predict ×${t.flopSpeedup!.toFixed(2)}), ` : ''}peak RSS ${gib(t.peakRssMiB)}${t.pairedSpeedups ? ' (both UNets loaded)' : ' running'}`,
    ]);
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
  const line = (row: string[]) => row.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  return [line(rows[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n');
}
