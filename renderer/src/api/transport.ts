import type { StudioClient } from '../../../engine/api/contract.ts';
import type { JobEvent } from '../../../engine/api/events.ts';
import { OPERATION_NAMES, splitOperation } from '../../../engine/api/operations.ts';
import type { StudioBridge } from '../../../electron/bridge.ts';
import { type Envelope, type StudioConnection, StudioCallError, unwrapEnvelope } from './client.ts';

declare global {
  interface Window {
    /** Electron's preload bridge; absent in the browser (serve mode). */
    studio?: StudioBridge;
  }
}

function fromBridge(bridge: StudioBridge): StudioConnection {
  const client = {} as Record<string, (req: unknown) => Promise<unknown>>;
  for (const op of OPERATION_NAMES) {
    const [domain, method] = splitOperation(op);
    // Looked up by name from the same operation list the bridge's type is derived from.
    const call = (bridge as unknown as Record<string, Record<string, (req: unknown) => Promise<Envelope>>>)[domain][method];
    client[op] = async (req) => unwrapEnvelope(op, await call(req));
  }
  return { client: client as unknown as StudioClient, onJobEvent: (l) => bridge.onJobEvent(l), transport: 'ipc' };
}

function fromHttp(token: string): StudioConnection {
  const client = {} as Record<string, (req: unknown) => Promise<unknown>>;
  for (const op of OPERATION_NAMES) {
    client[op] = async (req) => {
      const res = await fetch(`/api/op/${op}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify(req ?? {}),
      });
      return unwrapEnvelope(op, (await res.json()) as Envelope);
    };
  }
  const listeners = new Set<(e: JobEvent) => void>();
  let socket: WebSocket | null = null;
  const connect = (): void => {
    const proto = location.protocol === 'https:' ? 'wss' : 'ws';
    socket = new WebSocket(`${proto}://${location.host}/api/events?token=${encodeURIComponent(token)}`);
    socket.onmessage = (m) => {
      const event = JSON.parse(String(m.data)) as JobEvent;
      for (const l of listeners) l(event);
    };
    // The server may restart; reconnect while anyone listens.
    socket.onclose = () => {
      socket = null;
      if (listeners.size) setTimeout(connect, 1000);
    };
  };
  return {
    client: client as unknown as StudioClient,
    transport: 'http',
    imageUrl: (imageId) => `/api/images/${imageId}.png?token=${encodeURIComponent(token)}`,
    onJobEvent(listener) {
      listeners.add(listener);
      if (!socket) connect();
      return () => void listeners.delete(listener);
    },
  };
}

/** Electron's preload bridge when present, else the local server named by the page URL's token. */
export function connect(): StudioConnection {
  if (window.studio) return fromBridge(window.studio);
  const token = new URLSearchParams(location.search).get('token');
  if (!token) {
    throw new StudioCallError('UNAUTHORIZED', 'Open the URL that `latent-studio serve` printed: it carries the access token.');
  }
  return fromHttp(token);
}
