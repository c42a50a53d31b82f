import { mkdtempSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { JobEvent } from '../../engine/api/events.ts';
import { OPERATIONS } from '../../engine/api/contract.ts';
import { startServer, type RunningServer } from '../../engine/server/server.ts';
import { createHandlers } from '../../engine/studio/handlers.ts';
import { BUNDLED_DEFAULT_MODEL } from '../../engine/catalog/defaultModel.ts';
import { fakeStudio } from '../support/fakeStudio.ts';

let srv: RunningServer;
const staticDir = mkdtempSync(join(tmpdir(), 'ls-static-'));

beforeAll(async () => {
  writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>studio</title>');
  const studio = fakeStudio();
  srv = await startServer({ handlers: createHandlers(studio), onJobEvent: (l) => studio.queue.onEvent(l), staticDir, port: 0 });
});
afterAll(() => srv.close());

/** Raw HTTP so tests control Host and Origin, which fetch would not let us forge. */
function call(path: string, opts: { headers?: Record<string, string>; body?: string; method?: string } = {}) {
  return new Promise<{ status: number; json: unknown }>((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port: srv.port, path, method: opts.method ?? 'POST', headers: { 'content-type': 'application/json', ...opts.headers } },
      (res) => {
        let data = '';
        res.on('data', (c) => (data += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, json: data.startsWith('{') ? JSON.parse(data) : data }));
      },
    );
    req.on('error', reject);
    req.end(opts.body ?? '{}');
  });
}
const auth = () => ({ authorization: `Bearer ${srv.token}` });

describe('local server', () => {
  it('listens on 127.0.0.1 and prints a URL carrying the token', () => {
    expect(srv.url).toBe(`http://127.0.0.1:${srv.port}/?token=${srv.token}`);
    expect(srv.token.length).toBeGreaterThanOrEqual(32);
    expect((srv.server.address() as { address: string }).address).toBe('127.0.0.1');
  });

  it('refuses API calls without the token or with a wrong one', async () => {
    expect((await call('/api/op/jobs.list')).status).toBe(403);
    const wrong = await call('/api/op/jobs.list', { headers: { authorization: 'Bearer nope' } });
    expect(wrong).toMatchObject({ status: 403, json: { ok: false, error: { code: 'UNAUTHORIZED' } } });
    expect((await call(`/api/op/jobs.list?token=${srv.token}x`)).status).toBe(403);
  });

  it('refuses a foreign Origin even with the right token', async () => {
    const r = await call('/api/op/jobs.list', { headers: { ...auth(), origin: 'http://evil.example' } });
    expect(r.status).toBe(403);
    const sameOrigin = await call('/api/op/jobs.list', { headers: { ...auth(), origin: `http://127.0.0.1:${srv.port}` } });
    expect(sameOrigin.status).toBe(200);
  });

  it('refuses a foreign Host header (DNS rebinding)', async () => {
    expect((await call('/api/op/jobs.list', { headers: { ...auth(), host: 'attacker.example:80' } })).status).toBe(403);
  });

  it('accepts the token as a query parameter and answers with the contract', async () => {
    const r = await call(`/api/op/settings.get?token=${srv.token}`);
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ ok: true, result: { executionProvider: 'auto' } });
  });

  it('refuses non-JSON bodies and content types with typed errors', async () => {
    expect((await call('/api/op/jobs.list', { headers: auth(), body: 'not json' })).json).toMatchObject({ error: { code: 'INVALID_REQUEST' } });
    expect((await call('/api/op/jobs.list', { headers: { ...auth(), 'content-type': 'text/plain' } })).status).toBe(415);
  });

  it('routes every contract operation (validation answers, never a missing route)', async () => {
    for (const op of OPERATIONS) {
      const r = await call(`/api/op/${op}`, { headers: auth(), body: '{"__bogus": 1}' });
      expect(r.json, op).toMatchObject({ ok: false, error: { code: 'INVALID_REQUEST' } });
      expect(JSON.stringify(r.json), op).toContain(op);
    }
  });

  it('streams job events over the WebSocket only with the token', async () => {
    const refused = new WebSocket(`ws://127.0.0.1:${srv.port}/api/events`);
    await expect(new Promise((res, rej) => { refused.on('open', res); refused.on('error', rej); })).rejects.toBeTruthy();

    const ws = new WebSocket(`ws://127.0.0.1:${srv.port}/api/events?token=${srv.token}`);
    await new Promise((r) => ws.on('open', r));
    const events: JobEvent[] = [];
    const finished = new Promise<void>((resolve) =>
      ws.on('message', (m) => {
        const e = JSON.parse(String(m)) as JobEvent;
        events.push(e);
        if (e.type === 'done') resolve();
      }),
    );
    const started = await call('/api/op/jobs.generate', { headers: auth(), body: JSON.stringify({ model: BUNDLED_DEFAULT_MODEL, prompt: 'p', steps: 3, width: 64, height: 64 }) });
    expect(started).toMatchObject({ status: 200, json: { ok: true } });
    await finished;
    ws.close();
    expect(events.map((e) => e.type)).toEqual(['queued', 'started', 'progress', 'progress', 'progress', 'done']);
    const done = events.at(-1) as Extract<JobEvent, { type: 'done' }>;
    const img = await fetch(`http://127.0.0.1:${srv.port}/api/images/${done.images[0].imageId}.png?token=${srv.token}`);
    expect(img.headers.get('content-type')).toBe('image/png');
    const noToken = await fetch(`http://127.0.0.1:${srv.port}/api/images/${done.images[0].imageId}.png`);
    expect(noToken.status).toBe(403);
  });

  it('serves the renderer without leaking files outside its folder', async () => {
    const page = await fetch(`http://127.0.0.1:${srv.port}/`);
    expect(await page.text()).toContain('<title>studio</title>');
    const escape = await call('/../../etc/passwd', { method: 'GET' });
    expect(String(escape.json)).not.toContain('root:');
  });
});
