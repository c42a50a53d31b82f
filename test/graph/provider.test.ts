import { afterAll, describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../engine/graph/builder.ts';
import { type GraphEvent, onGraphEvent } from '../../engine/graph/events.ts';
import { availableProviders, resolveProvider } from '../../engine/graph/provider.ts';
import { SessionCache, runSession } from '../../engine/graph/session.ts';

const events: GraphEvent[] = [];
const off = onGraphEvent((e) => events.push(e));
afterAll(() => off());

describe('execution providers', () => {
  it('lists what this onnxruntime build offers, CPU always', () => {
    const list = availableProviders();
    expect(list).toContain('cpu');
    if (process.platform !== 'win32') expect(list).not.toContain('dml');
  });

  it('auto picks a working provider; CPU computes in float32', async () => {
    const p = await resolveProvider('auto');
    expect(availableProviders()).toContain(p.name);
    if (p.name === 'cpu') expect(p.computeType).toBe('float32');
  });

  it.skipIf(availableProviders().includes('cuda'))('a requested but absent provider falls back to CPU and says so', async () => {
    const p = await resolveProvider('cuda');
    expect(p).toEqual({ name: 'cpu', computeType: 'float32', fellBack: true });
    expect(events.some((e) => e.kind === 'provider-fallback' && e.requested === 'cuda' && e.used === 'cpu')).toBe(true);

    const g = new GraphBuilder({ name: 'double' });
    const x = g.input('x', 'float32', [2]);
    g.output(g.op('Add', [x, x]), 'y');
    const cache = new SessionCache();
    const s = await cache.get({ checkpoint: 'none', architecture: 'double' }, () => g, { provider: 'cuda', intraOpNumThreads: 1, placement: { mode: 'memory' } });
    expect(s.provider.name).toBe('cpu');
    expect(Array.from((await runSession(s, { x: { data: Float32Array.of(1, 2), dims: [2] } })).y.data as Float32Array)).toEqual([2, 4]);
    await cache.clear();
  });
});
