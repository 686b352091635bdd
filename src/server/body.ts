// Reading a request body under a size limit and a deadline, so that a client that sends too
// much, or too slowly, is answered and cut off without ever holding a processing slot.
import type { IncomingMessage } from 'node:http';

/** An error with the HTTP status to answer; `close` ends the connection after the answer. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly close = false,
  ) {
    super(message);
  }
}

/**
 * The whole body, as bytes (the caller decodes it). Rejects with 413 as soon as more than `limit` bytes are declared or
 * have arrived (chunked bodies included) and keeps discarding the rest, so the client can read
 * the answer instead of a reset; rejects with 408 (close) when the body is not complete within
 * `timeoutMs`. A connection still sending when the deadline passes is destroyed.
 */
export function readBody(req: IncomingMessage, limit: number, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const settle = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      fn();
    };
    const timer = setTimeout(() => {
      if (settled) req.socket.destroy(); // still sending after its 413: cut it off
      else settle(() => reject(new HttpError(408, `request body not received within ${timeoutMs} ms`, true)));
    }, timeoutMs);
    const tooLarge = (): void => {
      chunks.length = 0;
      settle(() => reject(new HttpError(413, `request body larger than ${limit} bytes`)));
    };
    if (Number(req.headers['content-length'] ?? 0) > limit) tooLarge();
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) tooLarge();
      else if (!settled) chunks.push(c);
    });
    req.on('end', () => {
      clearTimeout(timer);
      settle(() => resolve(Buffer.concat(chunks)));
    });
    req.on('error', (err) => settle(() => reject(err)));
    req.on('close', () => clearTimeout(timer));
  });
}
