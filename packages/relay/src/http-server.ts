/**
 * The relay's node:http server and its limits. It faces the public internet, so:
 * - the request line and headers are bounded (`maxHeaderSize`), and so is the time to send them
 *   (`headersTimeout`) and a whole request (`requestTimeout`): a slowloris cannot hold sockets forever;
 * - a request the parser refuses is answered (414, 431, 408 or 400) and closed, never just dropped;
 * - no request or upgrade handler can end the process: an exception becomes a 500 (or a 400 for an
 *   unparseable upgrade target) and one log line.
 */
import { createServer, STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from './logger.js';

/**
 * Request line plus headers, in bytes: Node's default (16 KiB), kept explicit because it is a
 * documented limit. Over it: 431, or 414 when the request line alone is too long.
 */
export const MAX_HEADER_BYTES = 16 * 1024;

/** Time from connection (or the previous request) to the end of the headers; over it: 408 and close. */
export const HEADERS_TIMEOUT_MS = 10_000;

/** Time to receive a whole request, body included; over it: 408 and close. */
export const REQUEST_TIMEOUT_MS = 30_000;

/**
 * How often node:http looks for connections over those timeouts (its default is 30 s, which would let
 * a slowloris hold a socket for up to 40 s instead of 10). Upgraded (WebSocket) sockets are not in
 * that list, so this costs nothing per WebSocket client.
 */
const TIMEOUT_CHECK_INTERVAL_MS = 1000;

/** A socket we answered and ended is destroyed after this long, even if the peer keeps its side open. */
const CLOSE_GRACE_MS = 1000;

export interface HttpServerOptions {
  handler: (req: IncomingMessage, res: ServerResponse) => void;
  onUpgrade: (req: IncomingMessage, socket: Duplex, head: Buffer) => void;
  log: Logger;
  /** Request line plus headers, in bytes (default `MAX_HEADER_BYTES`). */
  maxHeaderBytes?: number;
  /** For tests: the timeouts, in ms (defaults `HEADERS_TIMEOUT_MS`, `REQUEST_TIMEOUT_MS`). */
  headersTimeoutMs?: number;
  requestTimeoutMs?: number;
}

export function createHttpServer(options: HttpServerOptions): Server {
  const { handler, onUpgrade, log } = options;
  const headersTimeout = options.headersTimeoutMs ?? HEADERS_TIMEOUT_MS;
  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    try {
      handler(req, res);
    } catch (error) {
      // The API handler catches its own errors; this is the last net for any other handler.
      log.error({ err: error, method: req.method }, 'HTTP handler threw');
      if (!res.headersSent) {
        const body = errorBody(500);
        res.writeHead(500, { ...errorHeaders(body), connection: 'close' });
        res.end(body);
      } else {
        res.destroy();
      }
    }
  };
  const server = createServer(
    {
      maxHeaderSize: options.maxHeaderBytes ?? MAX_HEADER_BYTES,
      headersTimeout,
      requestTimeout: Math.max(options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS, headersTimeout),
      connectionsCheckingInterval: Math.min(TIMEOUT_CHECK_INTERVAL_MS, headersTimeout),
      // HTTP/1.1 without Host is refused by the handler (400 with our headers), not by node:http's
      // bare answer.
      requireHostHeader: false,
    },
    handle,
  );
  // An `Expect` other than 100-continue: node:http would answer a bare 417 itself. RFC 9110 §10.1.1
  // allows ignoring it, so the request is served as usual (with the usual headers).
  server.on('checkExpectation', handle);

  server.on('clientError', (error: NodeJS.ErrnoException & { rawPacket?: Buffer; bytesParsed?: number }, socket: Duplex) => {
    log.debug({ code: error.code }, 'bad HTTP request');
    const inFlight = (socket as { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    // Answer only if nothing of a response was sent on this socket yet (else the answer would corrupt it).
    if (error.code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent) {
      socket.destroy();
      return;
    }
    closeWith(socket, clientErrorStatus(error));
  });

  // One listener for every upgraded socket, not a closure per connection (it stays attached for the
  // connection's life: with tens of thousands of clients, a closure each is measurable memory).
  const onUpgradeSocketError = (error: Error) => log.debug({ err: error }, 'upgrade socket error');
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    // node:http removed its own listener: without one, a reset during the handshake would be an
    // uncaught 'error' event.
    socket.on('error', onUpgradeSocketError);
    try {
      onUpgrade(req, socket, head);
    } catch (error) {
      const status = (error as { code?: unknown }).code === 'ERR_INVALID_URL' ? 400 : 500;
      log.error({ err: error, status }, 'upgrade handler threw');
      if (socket.writable && bytesWritten(socket) === 0) closeWith(socket, status);
      else socket.destroy();
      return;
    }
    // A refusal (an answer, then end) closes only our side: node:http sockets allow half-open
    // connections, so a peer that never closes its side would hold the socket forever.
    if (socket.writableEnded && !socket.destroyed) destroyLater(socket);
  });

  return server;
}

/**
 * The status for a request node:http's parser refused: 408 for a timeout, 431 for oversized headers
 * (414 when the overflow happened inside the request line, as far as the last packet shows: a request
 * line that arrived in many small packets gets 431), 400 for anything else.
 */
function clientErrorStatus(error: { code?: string; rawPacket?: Buffer; bytesParsed?: number }): 400 | 408 | 414 | 431 {
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') return 408;
  if (error.code !== 'HPE_HEADER_OVERFLOW') return 400;
  const packet = error.rawPacket;
  if (!Buffer.isBuffer(packet)) return 431;
  const seen = packet.subarray(0, Math.min(packet.length, error.bytesParsed ?? packet.length));
  const startsRequestLine = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+ /.test(seen.subarray(0, 32).toString('latin1'));
  return startsRequestLine && !seen.includes(0x0a) ? 414 : 431;
}

/**
 * Answer a bare socket (a refused request or upgrade) with `status` and close it, destroying it after
 * a grace period whatever the peer does; never throws, even on a destroyed socket.
 */
export function closeWith(socket: Duplex, status: number): void {
  try {
    const body = errorBody(status);
    const head = [`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}`, 'Connection: close'];
    for (const [name, value] of Object.entries(errorHeaders(body))) head.push(`${name}: ${value}`);
    socket.end(`${head.join('\r\n')}\r\n\r\n${body}`);
    destroyLater(socket);
  } catch {
    socket.destroy();
  }
}

/** Give an ended socket `CLOSE_GRACE_MS` to deliver its answer, then destroy it whatever the peer does. */
function destroyLater(socket: Duplex): void {
  if (socket.destroyed) return;
  const timer = setTimeout(() => socket.destroy(), CLOSE_GRACE_MS).unref();
  socket.once('close', () => clearTimeout(timer));
}

/** A fixed JSON error body: it names the status, never anything from the request. */
function errorBody(status: number): string {
  return `${JSON.stringify({ error: (STATUS_CODES[status] ?? 'error').toLowerCase() })}\n`;
}

function errorHeaders(body: string): Record<string, string> {
  return {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(body)),
    'X-Content-Type-Options': 'nosniff',
    'Cache-Control': 'no-store',
  };
}

function bytesWritten(socket: Duplex): number {
  return (socket as Partial<Socket>).bytesWritten ?? 0;
}
