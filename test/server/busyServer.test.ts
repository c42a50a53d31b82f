/**
 * While a real job runs on the toy model, the server still answers: the job list and the
 * cancel that stops it. onnxruntime-node runs each network synchronously on the JS thread
 * (one run per event-loop turn), so a request waits for a few network runs: the bound below
 * is in step times, and the measured latencies are printed.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUNDLED_DEFAULT_MODEL } from '../../engine/catalog/defaultModel.ts';
import { startServer, type RunningServer } from '../../engine/server/server.ts';
import { SettingsStore } from '../../engine/studio/settings/store.ts';
import { createHandlers } from '../../engine/studio/handlers.ts';
import { createStudio } from '../../engine/studio/create.ts';

const studio = createStudio({ settings: new SettingsStore(join(mkdtempSync(join(tmpdir(), 'ls-busy-')), 'settings.json')) });
let srv: RunningServer;

async function op(name: string, body: unknown): Promise<{ ms: number; json: { ok: boolean; result?: Record<string, unknown> } }> {
  const t0 = performance.now();
  const r = await fetch(`http://127.0.0.1:${srv.port}/api/op/${name}`, {
    method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${srv.token}` }, body: JSON.stringify(body),
  });
  const json = (await r.json()) as { ok: boolean; result?: Record<string, unknown> };
  return { ms: performance.now() - t0, json };
}

/**
 * Round-trip time measured by curl in its own process, as a browser would see it; a client on
 * this process's event loop would wait for the same turns as the server and double the count.
 */
function curlOp(name: string, body: unknown): Promise<{ ms: number; json: { ok: boolean; result?: Record<string, unknown> } }> {
  return new Promise((resolve, reject) => {
    execFile('curl', ['-s', '-w', '\\n%{time_total}', '-H', 'content-type: application/json', '-H', `authorization: Bearer ${srv.token}`,
      '--data', JSON.stringify(body), `http://127.0.0.1:${srv.port}/api/op/${name}`], (err, stdout) => {
      if (err) return reject(err);
      const at = stdout.lastIndexOf('\n');
      resolve({ json: JSON.parse(stdout.slice(0, at)), ms: 1000 * Number(stdout.slice(at + 1)) });
    });
  });
}

/** Milliseconds per denoising step of a running job, from its progress over one second. */
async function meanStepMs(jobId: string): Promise<number> {
  const stepOf = () => studio.queue.list().find((j) => j.jobId === jobId)!.step;
  const [s0, t0] = [stepOf(), performance.now()];
  await new Promise((r) => setTimeout(r, 1000));
  return (performance.now() - t0) / Math.max(1, stepOf() - s0);
}

describe.skipIf(!existsSync(BUNDLED_DEFAULT_MODEL))('a busy server still answers', () => {
  beforeAll(async () => {
    await studio.settings.override({ previewEvery: 0 });
    srv = await startServer({ handlers: createHandlers(studio), onJobEvent: (l) => studio.queue.onEvent(l), staticDir: tmpdir(), port: 0 });
  });
  afterAll(() => srv?.close());

  it('answers jobs.list within a few steps of time while a long generation runs, and cancels it', async () => {
    const started = await op('jobs.generate', { model: BUNDLED_DEFAULT_MODEL, prompt: 'a red circle', steps: 400, seed: 1, width: 128, height: 128 });
    expect(started.json.ok).toBe(true);
    const jobId = started.json.result!.jobId as string;
    // Wait until it is really stepping, then probe.
    for (let i = 0; i < 600; i++) {
      const s = studio.queue.list().find((j) => j.jobId === jobId)!;
      if (s.state === 'running' && s.step >= 2) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const stepMs = await meanStepMs(jobId);
    const latencies: number[] = [];
    for (let i = 0; i < 6; i++) {
      const listed = await curlOp('jobs.list', {});
      latencies.push(listed.ms);
      expect((listed.json.result!.jobs as Array<{ jobId: string; state: string }>).find((j) => j.jobId === jobId)?.state).toBe('running');
      await new Promise((r) => setTimeout(r, 30));
    }
    console.log(`jobs.list while busy: ${latencies.map((l) => l.toFixed(0)).join(', ')} ms; one step ${stepMs.toFixed(0)} ms`);
    expect(Math.max(...latencies)).toBeLessThan(Math.max(1000, 25 * stepMs));
    const cancelled = await curlOp('jobs.cancel', { jobId });
    expect(cancelled.json).toMatchObject({ ok: true, result: { cancelled: true } });
    expect(cancelled.ms).toBeLessThan(Math.max(1000, 25 * stepMs));
    const end = await studio.queue.waitFor(jobId);
    expect(end.state).toBe('cancelled');
    expect(end.step).toBeLessThan(400);
  }, 120_000);
});
