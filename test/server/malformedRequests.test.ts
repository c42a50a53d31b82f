import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../engine/server/server.ts';
import { createHandlers } from '../../engine/studio/handlers.ts';
import { fakeStudio } from '../support/fakeStudio.ts';
import { rawRequest } from './rawHttp.ts';

let srv: RunningServer;
const staticDir = mkdtempSync(join(tmpdir(), 'ls-static-'));

beforeAll(async () => {
  writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>studio</title>');
  const studio = fakeStudio();
  srv = await startServer({ handlers: createHandlers(studio), onJobEvent: (l) => studio.queue.onEvent(l), staticDir, port: 0, maxBodyBytes: 64 * 1024 });
});
afterAll(() => srv.close());

const host = () => `127.0.0.1:${srv.port}`;
const get = (target: string, extra = '') => `GET ${target} HTTP/1.1\r\nHost: ${host()}\r\nConnection: close\r\n${extra}\r\n`;
const upgrade = (target: string) =>
  get(target, 'Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n');

async function stillServing(): Promise<void> {
  const r = await fetch(`http://${host()}/api/op/jobs.list`, {
    method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${srv.token}` }, body: '{}',
  });
  expect(await r.json()).toMatchObject({ ok: true, result: { jobs: [] } });
}

describe('malformed request targets', () => {
  const targets = ['/%', '/%E0%A4%A', '/%00', 'http://[bad/', 'http://exa mple/', 'http://:99999/x', '//%', 'http://127.0.0.1:1/%'];

  it.each(targets)('GET %s answers 400 and the server keeps serving', async (target) => {
    const r = await rawRequest(srv.port, get(target));
    expect(r.status, r.text).toBe(400);
    await stillServing();
  });

  it.each(targets)('a WebSocket upgrade to %s is refused and the server keeps serving', async (target) => {
    const r = await rawRequest(srv.port, upgrade(target));
    expect([400, 403]).toContain(r.status);
    await stillServing();
  });

  it('a malformed escape under /api/ is refused by the token check like any other API path', async () => {
    expect((await rawRequest(srv.port, get('/api/%'))).status).toBe(403);
    await stillServing();
  });

  it('a malformed upgrade target gets a 400 even before the token check', async () => {
    expect((await rawRequest(srv.port, upgrade('http://[bad/api/events'))).status).toBe(400);
  });
});

describe('oversized bodies', () => {
  const post = (length: number, body: string) =>
    `POST /api/op/jobs.list HTTP/1.1\r\nHost: ${host()}\r\nAuthorization: Bearer ${srv.token}\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\nConnection: close\r\n\r\n${body}`;

  it('a declared length over the limit gets the typed 413, not a reset', async () => {
    const body = 'x'.repeat(100 * 1024);
    const r = await rawRequest(srv.port, post(body.length, body));
    expect(r.reset).toBe(false);
    expect(r.status).toBe(413);
    expect(r.text).toContain('"code":"INVALID_REQUEST"');
    expect(r.text).toContain('larger than');
    await stillServing();
  });

  it('a chunked upload that grows past the limit gets the typed 413 (fetch sees the reply)', async () => {
    const big = new Uint8Array(200 * 1024).fill(0x20);
    const stream = new ReadableStream({
      start(c) {
        for (let i = 0; i < 4; i++) c.enqueue(big);
        c.close();
      },
    });
    const r = await fetch(`http://${host()}/api/op/jobs.list`, {
      method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${srv.token}` }, body: stream, duplex: 'half',
    } as RequestInit);
    expect(r.status).toBe(413);
    expect(await r.json()).toMatchObject({ ok: false, error: { code: 'INVALID_REQUEST' } });
    await stillServing();
  });
});

describe('a client that hangs up mid-body', () => {
  it('is not logged as a server failure, and the server keeps serving', async () => {
    const { connect } = await import('node:net');
    const { vi } = await import('vitest');
    const spy = vi.spyOn(process.stderr, 'write');
    await new Promise<void>((resolve) => {
      const s = connect(srv.port, '127.0.0.1', () => {
        s.write(`POST /api/op/jobs.list HTTP/1.1\r\nHost: ${host()}\r\nAuthorization: Bearer ${srv.token}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"a":`);
        setTimeout(() => s.destroy(), 50);
      });
      s.on('close', () => resolve());
    });
    await new Promise((r) => setTimeout(r, 100));
    await stillServing();
    const logged = spy.mock.calls.map((c) => String(c[0])).filter((l) => l.includes('failed'));
    spy.mockRestore();
    expect(logged).toEqual([]);
  });
});
