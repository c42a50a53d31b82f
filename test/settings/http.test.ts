import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../engine/server/server.ts';
import { SettingsStore } from '../../engine/studio/settings/store.ts';
import { createHandlers } from '../../engine/studio/handlers.ts';
import { fakeStudio } from '../support/fakeStudio.ts';

const file = join(mkdtempSync(join(tmpdir(), 'ls-set-http-')), 'settings.json');
let srv: RunningServer;
beforeAll(async () => {
  const studio = { ...fakeStudio(), settings: new SettingsStore(file) };
  srv = await startServer({ handlers: createHandlers(studio), onJobEvent: (l) => studio.queue.onEvent(l), staticDir: mkdtempSync(join(tmpdir(), 'ls-static-')), port: 0 });
});
afterAll(() => srv.close());

const op = async (name: string, body: unknown) => (await fetch(`http://127.0.0.1:${srv.port}/api/op/${name}`, {
  method: 'POST', headers: { authorization: `Bearer ${srv.token}`, 'content-type': 'application/json' }, body: JSON.stringify(body),
})).json() as Promise<{ ok: boolean; result?: Record<string, unknown>; error?: { code: string } }>;

describe('settings over HTTP (issue 23 item 2)', () => {
  it('20 parallel settings.set requests all succeed; the saved file, memory and settings.get agree', async () => {
    const replies = await Promise.all(Array.from({ length: 20 }, (_, i) => op('settings.set', { threads: i + 1 })));
    expect(replies.filter((r) => !r.ok)).toEqual([]);
    const disk = JSON.parse(readFileSync(file, 'utf8'));
    const got = await op('settings.get', {});
    expect(got.result).toEqual(disk);
    // Applied one at a time: the file holds the value of one whole request, never a mix or a default.
    expect(replies.map((r) => r.result!.threads)).toContain(disk.threads);
  });
});
