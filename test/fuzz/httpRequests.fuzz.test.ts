/**
 * Request lines and headers, written byte for byte to a live server on 127.0.0.1: malformed
 * targets, escapes, absolute forms, lying lengths, chunked garbage, header injection, upgrades.
 * Each request gets an answer below 500 or a closed connection within seconds, and the server
 * keeps serving after every one.
 */
import fc from 'fast-check';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPERATIONS } from '../../engine/api/contract.ts';
import { startServer, type RunningServer } from '../../engine/server/server.ts';
import { createHandlers } from '../../engine/studio/handlers.ts';
import { fakeStudio } from '../support/fakeStudio.ts';
import { rawRequest } from '../server/rawHttp.ts';
import { fuzzRuns, Tally } from './tally.ts';

let srv: RunningServer;
const tally = new Tally('HTTP request lines/headers (live server)');
const statuses = new Map<string, number>();

beforeAll(async () => {
  const staticDir = mkdtempSync(join(tmpdir(), 'ls-fuzz-static-'));
  writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>studio</title>');
  const studio = fakeStudio(0);
  srv = await startServer({ handlers: createHandlers(studio), onJobEvent: (l) => studio.queue.onEvent(l), staticDir, port: 0, maxBodyBytes: 16 * 1024 });
});
afterAll(async () => {
  tally.print();
  console.log(`[fuzz] HTTP statuses: ${[...statuses].sort().map(([s, n]) => `${s}×${n}`).join(', ')}`);
  await srv?.close();
});

const token = () => srv.token;
const host = () => `127.0.0.1:${srv.port}`;

const escapeish = fc.oneof(
  fc.constantFrom('%', '%E0%A4%A', '%00', '%2e%2e/', '..', '%ZZ', '%C0%AF', '%ff', '?', '#', '//', '\\', ';', '@', '[', ']', '*', ' '),
  fc.string({ unit: 'grapheme-ascii', maxLength: 8 }),
  fc.string({ unit: 'binary', maxLength: 4 }),
);
const target = fc.oneof(
  fc.constantFrom('/', '*', '/api/events', '/api/op/jobs.list', '/api/images/x.png', '/index.html'),
  fc.constantFrom(...OPERATIONS).map((op) => `/api/op/${op}`),
  fc.array(escapeish, { maxLength: 6 }).map((p) => `/${p.join('')}`),
  fc.tuple(fc.constantFrom('http://', 'https://', 'ws://', 'http://[', 'http://:', 'http://user@'), fc.string({ maxLength: 12 }), fc.array(escapeish, { maxLength: 3 }))
    .map(([s, h, p]) => `${s}${h}/${p.join('')}`),
).chain((t) => fc.oneof(fc.constant(t), fc.constant(`${t}?token=${'T'}`)));

const method = fc.oneof(fc.constantFrom('GET', 'POST', 'HEAD', 'PUT', 'OPTIONS', 'DELETE', 'CONNECT', 'TRACE', 'get'), fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 8 }));
const version = fc.constantFrom('HTTP/1.1', 'HTTP/1.0', 'HTTP/2.0', 'HTTP/1.1 extra', 'HTTP/9', '');

const headerValue = fc.oneof(fc.string({ maxLength: 40 }), fc.string({ unit: 'binary', maxLength: 20 }), fc.constantFrom('\r\nX-Injected: 1', '\u0000', 'é'));
const header = fc.oneof(
  fc.constantFrom('Host: HOST', 'Host: evil.example', 'Host:', 'Host: HOST\r\nHost: other', 'Authorization: Bearer TOKEN', 'Authorization: Bearer wrong', 'Authorization: Basic x',
    'Content-Type: application/json', 'Content-Type: text/plain', 'Origin: http://evil.example', 'Origin: null', 'Upgrade: websocket', 'Connection: Upgrade',
    'Sec-WebSocket-Version: 13', 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==', 'Transfer-Encoding: chunked', 'Transfer-Encoding: gzip, chunked', 'Expect: 100-continue'),
  fc.oneof(fc.nat({ max: 100_000 }), fc.constantFrom(-1, 1e30)).map((n) => `Content-Length: ${n}`),
  fc.constantFrom('Content-Length: abc', 'Content-Length: 5, 6'),
  fc.tuple(fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 12 }), headerValue).map(([k, v]) => `${k}: ${v}`),
);
const body = fc.oneof(
  fc.constant(''),
  fc.json({ maxDepth: 3 }),
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.constantFrom('{"jobId":"x"}', '{"model":"m","prompt":"p"}', '0\r\n\r\n', '5\r\nhello\r\n0\r\n\r\n', 'zz\r\nbad chunk\r\n', '{'.repeat(5000), 'x'.repeat(20_000)),
);

async function send(bytes: Buffer): Promise<void> {
  const reply = await rawRequest(srv.port, bytes, 5000);
  const key = reply.status === null ? (reply.reset ? 'reset' : 'closed') : String(reply.status);
  statuses.set(key, (statuses.get(key) ?? 0) + 1);
  if (reply.status !== null && reply.status >= 500) tally.code(`HTTP ${reply.status}`);
  else tally.ok();
  expect(reply.status === null || reply.status < 500, reply.text.slice(0, 300)).toBe(true);
}

const fill = (line: string): string => line.replace('HOST', host()).replace('TOKEN', token()).replace('token=T', `token=${token()}`);

describe('fuzz: HTTP against a live server', () => {
  it('garbage request lines and header mixes get a non-5xx answer or a clean close, fast', async () => {
    await fc.assert(
      fc.asyncProperty(method, target, version, fc.array(header, { maxLength: 8 }), body, async (m, t, v, hs, b) => {
        const lines = hs.map(fill);
        await send(Buffer.from(`${m} ${fill(t)} ${v}\r\n${lines.join('\r\n')}${lines.length ? '\r\n' : ''}Connection: close\r\n\r\n${b}`, 'latin1'));
      }),
      fuzzRuns(300),
    );
  }, 120_000);

  it('well-framed requests with the right token and hostile targets, headers and bodies reach the routes and answer below 500', async () => {
    const extra = fc.array(fc.oneof(header.filter((h) => !/^(Content-Length|Transfer-Encoding|Host|Connection|Expect)/i.test(h))), { maxLength: 2 });
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('GET', 'POST', 'POST', 'HEAD', 'OPTIONS'), target, fc.boolean(), extra, body, async (m, t, json, hs, b) => {
        const payload = Buffer.from(b, 'latin1');
        const lines = [`Host: ${host()}`, `Authorization: Bearer ${token()}`, ...(json ? ['Content-Type: application/json'] : []), ...hs.map(fill), `Content-Length: ${payload.length}`, 'Connection: close'];
        await send(Buffer.concat([Buffer.from(`${m} ${fill(t)} HTTP/1.1\r\n${lines.join('\r\n')}\r\n\r\n`, 'latin1'), payload]));
      }),
      fuzzRuns(400),
    );
    const alive = await fetch(`http://${host()}/api/op/jobs.list`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token()}` }, body: '{}' });
    expect(alive.status).toBe(200);
  }, 120_000);
});
