import { readFile, stat } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';
import { decodePath } from './requestUrl.ts';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};

/** Serves the built renderer; unknown paths get index.html so client routes work. */
export async function serveStatic(root: string, pathname: string, res: ServerResponse): Promise<void> {
  const decoded = decodePath(pathname);
  if (decoded === null || decoded.includes('\0')) {
    res.writeHead(400, { 'content-type': 'text/plain' }).end('Malformed path');
    return;
  }
  const clean = normalize(decoded).replace(/^(\.\.(\/|\\|$))+/, '');
  let file = join(root, clean);
  if (!file.startsWith(root + sep) && file !== root) {
    res.writeHead(403).end();
    return;
  }
  const info = await stat(file).catch(() => null);
  if (!info?.isFile()) file = join(root, 'index.html');
  try {
    const body = await readFile(file);
    res.writeHead(200, {
      'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
      'x-content-type-options': 'nosniff',
      'cache-control': 'no-cache',
    });
    res.end(body);
  } catch {
    res.writeHead(404, { 'content-type': 'text/plain' }).end(
      'The renderer is not built. Run `npm run build:renderer` (npm run serve does it for you).',
    );
  }
}
