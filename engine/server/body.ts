import type { IncomingMessage } from 'node:http';

/** Requests carry base64 images; anything larger is refused before it is buffered. */
export const MAX_BODY_BYTES = 96 * 1024 * 1024;

/** A request the server answers with a status and a typed error instead of a reset connection. */
export class HttpRefusal extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

function tooLarge(limit: number): HttpRefusal {
  return new HttpRefusal(413, `The request body is larger than ${Math.round(limit / (1024 * 1024))} MB`);
}

/**
 * The JSON body of a request. A body over `limit` is refused before it is buffered, but the
 * rest is still read and dropped: closing mid-upload would reset the connection, and the
 * client would never see the 413 that says why.
 */
export function readJsonBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      req.resume();
      return reject(tooLarge(limit));
    }
    const parts: Buffer[] = [];
    let size = 0;
    let refused = false;
    req.on('data', (c: Buffer) => {
      if (refused) return;
      size += c.length;
      if (size > limit) {
        refused = true;
        parts.length = 0;
        return reject(tooLarge(limit));
      }
      parts.push(c);
    });
    req.on('end', () => {
      if (refused) return;
      if (size === 0) return resolve({});
      try {
        resolve(JSON.parse(Buffer.concat(parts).toString('utf8')));
      } catch {
        reject(new HttpRefusal(400, 'Body is not JSON'));
      }
    });
    // The client hung up mid-body: nobody is left to answer, but it is their doing, not a server failure.
    req.on('error', () => reject(new HttpRefusal(400, 'The request body ended early')));
    req.on('aborted', () => reject(new HttpRefusal(400, 'The request body ended early')));
  });
}
