import type { ModelEntry } from '../../engine/api/schemas.ts';
import type { StudioConnection } from '../../renderer/src/api/client.ts';
import type { Platform } from '../../renderer/src/state/platform.ts';

const entry = (name: string, family: string): ModelEntry => ({
  id: name, name, path: `/m/${name}`, kind: 'single-file', sizeBytes: 1, architecture: { family, summary: family, details: {} }, error: null,
});

/** The bundled toy folder's shape: a checkpoint, an IP-Adapter and its CLIP image encoder. */
export const TOY_MODELS: ModelEntry[] = [entry('toy.safetensors', 'sd1'), entry('ip-adapter_toy.safetensors', 'ip-adapter'), entry('image_encoder', 'clip-vision')];

/** A connection that records calls and lets the test emit job events, so the store runs without React or a DOM. */
export function fakeStudioConnection(models: ModelEntry[] = TOY_MODELS) {
  let emit: (e: never) => void = () => undefined;
  const calls: { op: string; req: Record<string, unknown> }[] = [];
  const client = new Proxy({}, {
    get: (_t, op: string) => async (req: Record<string, unknown>) => {
      calls.push({ op, req });
      if (op === 'models.list') return { dir: '/m', models };
      if (op.startsWith('jobs.')) return { jobId: `job-${calls.length}` };
      return {};
    },
  });
  const connection = {
    client, transport: 'http', imageUrl: (id: string) => `/api/images/${id}.png`, onJobEvent: (l: (e: never) => void) => ((emit = l), () => undefined),
  } as unknown as StudioConnection;
  return { connection, calls, emit: (e: object) => emit(e as never) };
}

/** Every file "loads" as a tiny PNG; the mask encodes to a fixed string the tests can look for. */
export const fakePlatform: Platform = {
  loadImageFile: async (blob) => {
    if (blob.type === 'text/plain') throw new Error('not an image');
    return { base64: `iVBOR-${blob.size}`, url: `blob:${blob.size}`, width: 64, height: 64 };
  },
  encodeMaskPng: async () => 'bWFzaw==',
  decodeGrey: async () => ({ width: 1, height: 1, data: new Uint8Array([0]) }),
  heatOverlayUrl: async (url) => url,
};
