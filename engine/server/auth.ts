import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export function newToken(): string {
  return randomBytes(24).toString('base64url');
}

function sameToken(given: string | null | undefined, token: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The token may come as a bearer header (fetch) or a query parameter (WebSocket, <img src>). */
export function requestToken(req: IncomingMessage, url: URL): string | null {
  const header = req.headers.authorization;
  if (header?.startsWith('Bearer ')) return header.slice(7);
  return url.searchParams.get('token');
}

/**
 * Why a request is refused, or null when it may pass. A page on another site can make the
 * browser send requests here; it fails the Origin check. DNS rebinding fails the Host check.
 */
export function refusal(req: IncomingMessage, url: URL, token: string, port: number): string | null {
  const allowedHosts = [`127.0.0.1:${port}`, `localhost:${port}`];
  if (!req.headers.host || !allowedHosts.includes(req.headers.host)) return 'foreign Host header';
  const origin = req.headers.origin;
  if (origin !== undefined && !allowedHosts.map((h) => `http://${h}`).includes(origin)) return 'foreign Origin';
  if (!sameToken(requestToken(req, url), token)) return 'missing or wrong token';
  return null;
}
