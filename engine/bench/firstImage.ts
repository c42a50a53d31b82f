import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { StudioError } from '../api/errors.ts';
import type { WeightCastMode } from '../graph/weightCast.ts';

export interface FirstImageRun {
  /** `cold`: no graph file of this checkpoint on disk (their build and write are timed); `warm`: a previous run's files are there. */
  cache: 'cold' | 'warm';
  weightCast: WeightCastMode;
  size: number;
  steps: number;
  /** Process start → PNG written (the file's modification time). */
  seconds: number;
  /** Peak RSS of the whole `generate` process (VmHWM, read every 0.2 s until it exits). */
  peakRssMiB: number;
}

export interface FirstImageOptions {
  checkpoint: string;
  /** Folder for the PNGs and the graph cache the child uses. */
  dir: string;
  threads: number;
  size: number;
  steps: number;
}

const graphDir = (o: FirstImageOptions) => join(o.dir, 'graphs-generate');
const CLI = resolve(dirname(fileURLToPath(import.meta.url)), '../../bin/latent-studio.js');

/** Removes every graph file built for `checkpoint`: the hidden ones beside it and those in `cacheDir`. */
export function removeGraphFiles(checkpoint: string, cacheDir: string): void {
  const folder = dirname(checkpoint);
  for (const f of readdirSync(folder)) if (f.startsWith(`.${basename(checkpoint)}.`) && f.endsWith('.onnx')) rmSync(join(folder, f), { force: true });
  rmSync(cacheDir, { recursive: true, force: true });
}

function peakOf(pid: number): number {
  try {
    const m = /VmHWM:\s+(\d+)\s*kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

/**
 * Time to first image as a user meets it: a fresh `latent-studio generate` process (tsx
 * start-up, model detection, graph build, sessions, sampling, decode, PNG) timed from
 * spawn to the PNG on disk. The OS page cache holds the checkpoint in both cases: dropping
 * it would need root and slow every other job on the machine.
 */
export async function timeToFirstImage(o: FirstImageOptions, cache: 'cold' | 'warm', weightCast: WeightCastMode): Promise<FirstImageRun> {
  const graphs = graphDir(o);
  const out = join(o.dir, `first-image-${weightCast}-${cache}.png`);
  rmSync(out, { force: true });
  const args = [CLI, 'generate', '--model', o.checkpoint, '--prompt', 'a red apple on a wooden table', '--seed', '1',
    '--steps', String(o.steps), '--width', String(o.size), '--height', String(o.size), '--out', out];
  const t0 = Date.now();
  const child = spawn(process.execPath, args, {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, LATENT_STUDIO_THREADS: String(o.threads), LATENT_STUDIO_WEIGHT_CAST: weightCast, LATENT_STUDIO_GRAPH_CACHE: graphs },
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-4000); });
  let peak = 0;
  const timer = setInterval(() => { peak = Math.max(peak, peakOf(child.pid!)); }, 200);
  const code = await new Promise<number | null>((done) => child.on('exit', done));
  clearInterval(timer);
  if (code !== 0 || !existsSync(out)) {
    throw new StudioError('RUNTIME_FAILURE', `generate for the first-image row failed (exit ${code}): ${stderr.trim().split('\n').slice(-5).join(' | ')}`);
  }
  return { cache, weightCast, size: o.size, steps: o.steps, seconds: (statSync(out).mtimeMs - t0) / 1000, peakRssMiB: peak };
}

/**
 * Cold then warm for each weight-cast mode, the modes alternating (cold A, cold B, warm A,
 * warm B) so both see the same stretch of machine load. The modes' graphs differ, so one
 * clean-up before the cold runs leaves each of them cold.
 */
export async function firstImageRows(o: FirstImageOptions, modes: readonly WeightCastMode[], log: (line: string) => void): Promise<FirstImageRun[]> {
  const rows: FirstImageRun[] = [];
  removeGraphFiles(o.checkpoint, graphDir(o));
  for (const cache of ['cold', 'warm'] as const) {
    for (const mode of modes) {
      const r = await timeToFirstImage(o, cache, mode);
      log(`first image ${o.size}², ${o.steps} steps, ${cache}, weights cast at ${mode}: ${r.seconds.toFixed(1)} s, peak RSS ${(r.peakRssMiB / 1024).toFixed(2)} GiB`);
      rows.push(r);
    }
  }
  return rows;
}
