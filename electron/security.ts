import type { Session, WebContents } from 'electron';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The renderer loads only the app's own files. Everything that could bring in remote
 * content or leave the app is refused here, in the main process, whatever the page does.
 */

/** Content Security Policy sent with every response (the page also carries it as a meta tag). */
export const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "connect-src 'self' data: blob:",
  "font-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "object-src 'none'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * Only the app's own files (and devtools, and the page's own data:/blob: images) may load:
 * a file:// URL must resolve inside `appDir` (renderer/dist), so a page that was made to
 * request file:///etc/passwd or ~/.ssh/… gets nothing. Percent-encoding and `..` are
 * resolved before the check.
 */
export function isAllowedUrl(url: string, appDir: string): boolean {
  if (url.startsWith('devtools://') || url.startsWith('data:') || url.startsWith('blob:')) return true;
  return fileInside(url, appDir) !== null;
}

/** Whether `url` is the app's page itself (query and hash aside): the only frame allowed to call the main process. */
export function isAppPage(url: string, appIndexHtml: string): boolean {
  const file = fileInside(url, dirname(appIndexHtml));
  return file !== null && file === resolve(appIndexHtml);
}

function fileInside(url: string, dir: string): string | null {
  let file: string;
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== 'file:' || (parsed.host !== '' && parsed.host !== 'localhost')) return null;
    file = resolve(fileURLToPath(parsed));
  } catch {
    return null;
  }
  const rel = relative(resolve(dir), file);
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel) ? file : null;
}

/** Permissions the studio uses: writing an image to the clipboard. Everything else is denied. */
const ALLOWED_PERMISSIONS = new Set(['clipboard-sanitized-write']);

export function hardenSession(session: Session, appDir: string): void {
  session.webRequest.onBeforeRequest((details, callback) => callback({ cancel: !isAllowedUrl(details.url, appDir) }));
  session.webRequest.onHeadersReceived((details, callback) =>
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CSP] } }),
  );
  session.setPermissionRequestHandler((_wc, permission, callback) => callback(ALLOWED_PERMISSIONS.has(permission)));
  session.setPermissionCheckHandler((_wc, permission) => ALLOWED_PERMISSIONS.has(permission));
}

/** No navigation away from the app, no new windows, no <webview>. */
export function hardenContents(contents: WebContents, appUrl: string): void {
  contents.on('will-navigate', (event, url) => {
    if (url !== appUrl) event.preventDefault();
  });
  contents.on('will-redirect', (event) => event.preventDefault());
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
}
