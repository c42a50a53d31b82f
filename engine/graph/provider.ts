import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { GraphBuilder } from './builder.ts';
import { emitGraphEvent } from './events.ts';

/** Execution providers the engine knows how to drive. */
export type ProviderName = 'cpu' | 'cuda' | 'dml' | 'coreml' | 'webgpu';
export type ProviderPreference = 'auto' | ProviderName;

export interface ResolvedProvider {
  name: ProviderName;
  /** CPU computes in float32; GPU providers in float16 (DESIGN D1). */
  computeType: 'float32' | 'float16';
  /** True when the preferred provider failed and CPU stands in. */
  fellBack: boolean;
}

/** Preference order for `auto`; webgpu is opt-in (experimental in onnxruntime-node). */
const AUTO_ORDER: ProviderName[] = ['cuda', 'dml', 'coreml', 'cpu'];

/**
 * Providers this onnxruntime build offers: what `listSupportedBackends` reports as bundled,
 * plus those whose provider library was installed beside the binding (CUDA's is a separate
 * download), restricted to the platforms that have them.
 */
export function availableProviders(): ProviderName[] {
  const listed = ort.listSupportedBackends() as { name: string; bundled: boolean }[];
  const libs = providerLibraries();
  const out: ProviderName[] = [];
  for (const b of listed) {
    const name = b.name as ProviderName;
    if (name === 'cuda' && !(b.bundled || libs.some((f) => f.includes('providers_cuda')))) continue;
    if (name === 'dml' && process.platform !== 'win32') continue;
    if (name === 'coreml' && process.platform !== 'darwin') continue;
    if (['cpu', 'cuda', 'dml', 'coreml', 'webgpu'].includes(name)) out.push(name);
  }
  if (!out.includes('cpu')) out.push('cpu');
  return out;
}

function providerLibraries(): string[] {
  try {
    const binding = dirname(createRequire(import.meta.url).resolve('onnxruntime-node'));
    const dir = join(binding, '..', 'bin', 'napi-v6', process.platform, process.arch);
    return existsSync(dir) ? readdirSync(dir) : [];
  } catch {
    return [];
  }
}

const probes = new Map<ProviderName, Promise<string | null>>();

/** Creates a one-node session on `name`; resolves to null when it works, else the reason. */
function probe(name: ProviderName): Promise<string | null> {
  let p = probes.get(name);
  if (!p) {
    const g = new GraphBuilder({ name: 'probe' });
    const x = g.input('x', 'float32', [1]);
    g.output(g.op('Add', [x, x]), 'y');
    const bytes = g.encode(() => ({ location: '', offset: 0, length: 0 }));
    p = ort.InferenceSession.create(bytes, { executionProviders: [name] })
      .then(async (s) => { await s.release(); return null; })
      .catch((e: unknown) => (e instanceof Error ? e.message : String(e)));
    probes.set(name, p);
  }
  return p;
}

const resolved = new Map<ProviderPreference, Promise<ResolvedProvider>>();

/** The provider to build and run on; a failed preference falls back to CPU and says so once. */
export function resolveProvider(pref: ProviderPreference = 'auto'): Promise<ResolvedProvider> {
  let r = resolved.get(pref);
  if (!r) {
    r = (async () => {
      const available = availableProviders();
      const candidates = pref === 'auto' ? AUTO_ORDER.filter((p) => available.includes(p)) : [pref];
      let fellBack = false;
      for (const name of candidates) {
        if (name === 'cpu') break;
        const reason = available.includes(name) ? await probe(name) : 'not offered by this onnxruntime build';
        if (reason === null) return { name, computeType: 'float16', fellBack: false };
        emitGraphEvent({ kind: 'provider-fallback', requested: name, used: 'cpu', reason });
        fellBack = true;
      }
      return { name: 'cpu', computeType: 'float32', fellBack };
    })();
    resolved.set(pref, r);
  }
  return r;
}
