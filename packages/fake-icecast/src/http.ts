/** Small HTTP helpers shared by the status, admin and control handlers. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SERVER_ID } from './status-json.js';

/** The headers Icecast 2.4.4 sends, in its order (fixtures/status-json-headers.txt). */
export function icecastHeaders(contentType: string, contentLength?: number): string[] {
  const headers = [
    'Server', SERVER_ID,
    'Connection', 'Close',
    'Date', new Date().toUTCString(),
    'Content-Type', contentType,
    'Cache-Control', 'no-cache, no-store',
    'Expires', 'Mon, 26 Jul 1997 05:00:00 GMT',
    'Pragma', 'no-cache',
  ];
  if (contentLength !== undefined) headers.push('Content-Length', String(contentLength));
  return headers;
}

export function sendIcecast(res: ServerResponse, status: number, contentType: string, body: string | Buffer): void {
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  res.writeHead(status, icecastHeaders(contentType, bytes.length));
  res.end(bytes);
}

/** A redirect to `location` (which must be a valid header value), with a short HTML page. */
export function sendIcecastRedirect(res: ServerResponse, status: number, location: string): void {
  const body = Buffer.from(`<html><head><title>${status}</title></head><body><b>Moved</b></body></html>\r\n`);
  res.writeHead(status, [...icecastHeaders('text/html; charset=utf-8', body.length), 'Location', location]);
  res.end(body);
}

/** An error page shaped like Icecast's own. */
export function sendIcecastError(res: ServerResponse, status: number, message: string): void {
  const body = `<html><head><title>Error ${status}</title></head><body><b>${status} - ${message}</b></body></html>\r\n`;
  sendIcecast(res, status, 'text/html; charset=utf-8', body);
}

export function sendJson(res: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}): void {
  const body = Buffer.from(`${JSON.stringify(value)}\n`);
  res.writeHead(status, {
    ...headers,
    'Content-Type': 'application/json; charset=utf-8',
    'Cache-Control': 'no-store',
    'Content-Length': String(body.length),
  });
  res.end(body);
}

export class BodyTooLargeError extends Error {}

/**
 * Reads a request body as UTF-8. Past `limit` bytes the rest is read and dropped before failing, so
 * the client is not cut off mid-upload (closing a socket with unread data makes it see a reset
 * instead of our 413).
 */
export async function readBody(req: IncomingMessage, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size <= limit) chunks.push(chunk);
  }
  if (size > limit) throw new BodyTooLargeError(`body is larger than ${limit} bytes`);
  return Buffer.concat(chunks).toString('utf8');
}
