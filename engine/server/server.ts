import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import type { Handlers } from '../api/contract.ts';
import { dispatch } from '../api/dispatch.ts';
import type { JobEvent } from '../api/events.ts';
import { newToken, refusal } from './auth.ts';
import { HttpRefusal, readJsonBody } from './body.ts';
import { parseRequestUrl } from './requestUrl.ts';
import { serveStatic } from './static.ts';

/** How long a refused upload may keep streaming into the void before its connection is cut. */
const DRAIN_GRACE_MS = 5000;

export interface ServerOptions {
  handlers: Handlers;
  onJobEvent: (listener: (e: JobEvent) => void) => () => void;
  /** Folder of the built renderer. */
  staticDir: string;
  port?: number;
  token?: string;
  /** Largest request body accepted (default: body.ts MAX_BODY_BYTES). */
  maxBodyBytes?: number;
}

export interface RunningServer {
  server: Server;
  port: number;
  token: string;
  url: string;
  close(): Promise<void>;
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent) return void res.end();
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers });
  res.end(JSON.stringify(body));
}

const badRequest = (message: string) => ({ ok: false, error: { code: 'INVALID_REQUEST', message } }) as const;

/**
 * The Studio API over HTTP (POST /api/op/<operation>) and job events over a WebSocket
 * (/api/events), bound to 127.0.0.1 only and guarded by a per-launch token.
 */
export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const token = options.token ?? newToken();
  let port = 0;
  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      // A bug in a route answers this request with a 500; the server and its queue live on.
      process.stderr.write(`Latent Studio: request ${req.method} failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      sendJson(res, 500, { ok: false, error: { code: 'RUNTIME_FAILURE', message: 'The server failed to answer this request' } });
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = parseRequestUrl(req.url);
    if (!url) return sendJson(res, 400, badRequest('Malformed request target'));
    if (!url.pathname.startsWith('/api/')) {
      if (req.method !== 'GET' && req.method !== 'HEAD') return void res.writeHead(405).end();
      return serveStatic(options.staticDir, url.pathname, res);
    }
    const why = refusal(req, url, token, port);
    if (why) return sendJson(res, 403, { ok: false, error: { code: 'UNAUTHORIZED', message: `Refused: ${why}` } });
    const op = url.pathname.match(/^\/api\/op\/([\w.]+)$/)?.[1];
    if (op && req.method === 'POST') {
      if (!String(req.headers['content-type'] ?? '').startsWith('application/json')) {
        // A JSON content type forces a CORS preflight from foreign pages; form posts never get here.
        return sendJson(res, 415, badRequest('Send application/json'));
      }
      let payload: unknown;
      try {
        payload = await readJsonBody(req, options.maxBodyBytes);
      } catch (e) {
        if (!(e instanceof HttpRefusal)) throw e;
        if (e.status === 413) res.once('finish', () => setTimeout(() => req.destroy(), DRAIN_GRACE_MS).unref());
        return sendJson(res, e.status, badRequest(e.message), e.status === 413 ? { connection: 'close' } : {});
      }
      const envelope = await dispatch(options.handlers, op, payload);
      return sendJson(res, envelope.ok ? 200 : 400, envelope);
    }
    const image = url.pathname.match(/^\/api\/images\/([\w-]+)\.png$/)?.[1];
    if (image && req.method === 'GET') {
      const envelope = await dispatch(options.handlers, 'images.read', { imageId: image });
      if (!envelope.ok) return sendJson(res, 404, envelope);
      const { base64 } = envelope.result as { base64: string };
      res.writeHead(200, { 'content-type': 'image/png', 'cache-control': 'no-store' });
      return void res.end(Buffer.from(base64, 'base64'));
    }
    sendJson(res, 404, { ok: false, error: { code: 'NOT_FOUND', message: `No route ${req.method} ${url.pathname}` } });
  }

  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req, socket, head) => {
    socket.on('error', () => socket.destroy());
    const url = parseRequestUrl(req.url);
    if (!url) {
      socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
      return;
    }
    if (url.pathname !== '/api/events' || refusal(req, url, token, port)) {
      socket.end('HTTP/1.1 403 Forbidden\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const off = options.onJobEvent((event) => ws.send(JSON.stringify(event)));
      ws.on('close', off);
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  return {
    server,
    port,
    token,
    url: `http://127.0.0.1:${port}/?token=${token}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of wss.clients) client.terminate();
        wss.close();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
