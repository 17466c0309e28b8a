/**
 * Request bodies are read only up to a limit, and refused as soon as the headers (or the bytes
 * so far) pass it: an HTTP endpoint must never hold a stranger's hundreds of megabytes.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** Whether the request announces a body (a length above 0, or chunks). */
export function hasBody(req: IncomingMessage): boolean {
  return Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
}

/**
 * The body, or undefined once it is known to be longer than `limit` bytes (then reading stops:
 * answer with `refuse`, which closes the connection so the rest is never read).
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  if (Number(req.headers['content-length'] ?? 0) > limit) return Promise.resolve(undefined);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        cleanup();
        req.pause();
        resolve(undefined);
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(Buffer.concat(chunks));
    };
    const onClose = () => {
      cleanup();
      reject(new Error('the client went away before sending the whole body'));
    };
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onClose);
      req.off('close', onClose);
    };
    req.on('data', onData);
    req.once('end', onEnd);
    req.once('error', onClose);
    req.once('close', onClose);
  });
}

/** How long a refused connection stays half-open so the client reads the answer before it closes. */
const LINGER_MS = 2000;

/**
 * Answers and closes the connection: what the client still sends is not kept. Node closes a
 * `connection: close` socket as soon as the answer is written; with the client still sending, the
 * kernel then resets the connection, and the reset can overtake the answer. So the socket stops
 * sending (FIN) and closes a moment later, as web servers' lingering close does.
 */
export function refuse(res: ServerResponse, status: number, text: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const socket = res.socket;
  if (socket) {
    socket.destroySoon = () => {
      socket.end();
      setTimeout(() => socket.destroy(), LINGER_MS).unref();
    };
  }
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', connection: 'close' }).end(`${text}\n`);
}
