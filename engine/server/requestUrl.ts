/**
 * The URL of a request, or null when its target cannot be parsed. Node passes the request
 * line through as written, so an absolute-form target with a bad host (`GET http://[x/`)
 * or stray bytes reach us here; they must get a 400, not an exception.
 */
export function parseRequestUrl(target: string | undefined): URL | null {
  try {
    return new URL(target ?? '/', 'http://127.0.0.1');
  } catch {
    return null;
  }
}

/** `decodeURIComponent` of a path, or null for a malformed escape such as `/%` or `/%E0%A4%A`. */
export function decodePath(pathname: string): string | null {
  try {
    return decodeURIComponent(pathname);
  } catch {
    return null;
  }
}
