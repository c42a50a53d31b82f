import { connect } from 'node:net';

export interface RawReply {
  /** Status code of the first response line, or null when the server closed without answering. */
  status: number | null;
  text: string;
  /** The connection was reset rather than closed. */
  reset: boolean;
}

/** Writes bytes as they are to 127.0.0.1:port and collects the reply: what fetch would refuse to send. */
export function rawRequest(port: number, bytes: string | Buffer, timeoutMs = 5000): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    let reset = false;
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`No reply within ${timeoutMs} ms to ${JSON.stringify(String(bytes).slice(0, 80))}`));
    }, timeoutMs);
    socket.on('data', (c) => (text += c.toString('latin1')));
    socket.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'ECONNRESET' || e.code === 'EPIPE') reset = true;
      else reject(e);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(text);
      resolve({ status: m ? Number(m[1]) : null, text, reset });
    });
    socket.end(bytes);
  });
}
