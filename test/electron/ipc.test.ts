import { describe, expect, it, vi } from 'vitest';
import { OPERATIONS } from '../../engine/api/contract.ts';
import type { Envelope } from '../../engine/api/dispatch.ts';
import { createHandlers } from '../../engine/studio/handlers.ts';
import { BUNDLED_DEFAULT_MODEL } from '../../engine/catalog/defaultModel.ts';
import { fakeStudio } from '../support/fakeStudio.ts';

const registered = new Map<string, (event: unknown, payload: unknown) => Promise<Envelope>>();
const exposed: Record<string, unknown> = {};

// Electron's binary is not available in tests: its modules are replaced by recorders.
vi.mock('electron', () => ({
  ipcMain: { handle: (channel: string, fn: (e: unknown, p: unknown) => Promise<Envelope>) => registered.set(channel, fn) },
  ipcRenderer: {
    invoke: (channel: string, payload: unknown) => registered.get(channel)!({}, payload),
    on: vi.fn(),
    removeListener: vi.fn(),
    send: vi.fn(),
  },
  contextBridge: { exposeInMainWorld: (key: string, api: unknown) => (exposed[key] = api) },
}));

const { registerIpcHandlers, forwardJobEvents } = await import('../../electron/ipc-main.ts');
const { exposeStudioBridge } = await import('../../electron/ipc-preload.ts');

describe('Electron IPC transport', () => {
  const studio = fakeStudio();
  const channels = registerIpcHandlers(createHandlers(studio), () => true);
  exposeStudioBridge();
  const bridge = exposed.studio as Record<string, Record<string, (p?: unknown) => Promise<Envelope>>>;

  it('registers one handler per contract operation', () => {
    expect(channels.sort()).toEqual(OPERATIONS.map((op) => `studio:${op}`).sort());
    expect([...registered.keys()].sort()).toEqual(channels.sort());
  });

  it('exposes narrow per-domain functions, one per operation, and no raw ipcRenderer', () => {
    for (const op of OPERATIONS) {
      const [domain, method] = op.split('.');
      expect(typeof bridge[domain][method], op).toBe('function');
    }
    expect(Object.keys(bridge).sort()).toEqual(['images', 'jobs', 'models', 'onJobEvent', 'onMenuCommand', 'settings', 'shell']);
    expect(JSON.stringify(Object.keys(bridge))).not.toContain('invoke');
  });

  it('validates payloads at the main-process edge', async () => {
    for (const op of OPERATIONS) {
      const [domain, method] = op.split('.');
      const env = await bridge[domain][method]({ __bogus: true });
      expect(env, op).toMatchObject({ ok: false, error: { code: 'INVALID_REQUEST' } });
    }
    const ok = await bridge.settings.get();
    expect(ok).toMatchObject({ ok: true, result: { executionProvider: 'auto' } });
  });

  it('forwards job events to the window until it is destroyed', async () => {
    const sent: unknown[] = [];
    let destroyed: (() => void) | undefined;
    forwardJobEvents((l) => studio.queue.onEvent(l), {
      send: (_c: string, e: unknown) => sent.push(e),
      isDestroyed: () => false,
      once: ((_: string, fn: () => void) => (destroyed = fn)) as never,
    });
    const env = await bridge.jobs.generate({ model: BUNDLED_DEFAULT_MODEL, prompt: 'p', steps: 2, width: 64, height: 64 });
    expect(env.ok).toBe(true);
    await studio.queue.waitFor((env as { result: { jobId: string } }).result.jobId);
    expect(sent.map((e) => (e as { type: string }).type)).toEqual(['queued', 'started', 'progress', 'progress', 'done']);
    destroyed!();
    studio.queue.submit('generate', async () => []);
    await new Promise((r) => setTimeout(r, 20));
    expect(sent.length).toBe(5);
  });
});
