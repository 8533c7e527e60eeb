/**
 * Opening an audio stream for its in-stream metadata. node:http cannot do it: SHOUTcast v1 answers
 * `ICY 200 OK` instead of `HTTP/1.x 200 OK`, which Node's parser refuses. So this speaks HTTP/1.0 over
 * a plain `net`/`tls` socket (1.0: no chunked encoding, no keep-alive) with its own bounded head parser,
 * and applies the same policy as every other upstream request (http-get.ts `RedirectChain`): one
 * deadline for connect, redirects and head; counted redirects, same host unless allowed, never a
 * private address from a public upstream; credentials to the upstream's own host only.
 */
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { asSourceError, checkedLookupFor, REDIRECT_STATUSES, RedirectChain, USER_AGENT } from './http-get.js';
import { SourceError } from './source.js';

/** Largest response head (status line and headers) accepted, as for every other upstream answer. */
export const MAX_STREAM_HEAD_BYTES = 16 * 1024;

export interface StreamRequestOptions {
  /** Milliseconds for connect, redirects and the response head, all together. */
  timeout: number;
  maxRedirects: number;
  crossHostRedirects: boolean;
  credentials?: { username: string; password: string };
  /** Aborts the request (and the stream, once open) when the caller stops. */
  signal?: AbortSignal;
  /** Extra request headers (`Icy-MetaData: 1`). */
  headers?: Record<string, string>;
}

export interface StreamResponse {
  /** `HTTP/1.0`, `HTTP/1.1` or `ICY`. */
  protocol: string;
  status: number;
  /** Header names in lower case; the first of repeated headers wins. Values as raw bytes (their charset is unknown). */
  headers: Map<string, Buffer>;
  /** The open socket, paused, positioned after the head. The caller owns it (and must destroy it). */
  socket: Socket;
  /** Body bytes that arrived with the head. */
  rest: Buffer;
  /** The URL that finally answered. */
  url: URL;
}

/** Open `url` and read its response head, following redirects; throws a SourceError with a short reason. */
export async function openStream(url: URL, options: StreamRequestOptions): Promise<StreamResponse> {
  const timeout = AbortSignal.timeout(options.timeout);
  const signal = options.signal ? AbortSignal.any([timeout, options.signal]) : timeout;
  const chain = new RedirectChain(url, options);
  try {
    for (;;) {
      const response = await requestHead(chain, signal, options.headers);
      if (REDIRECT_STATUSES.has(response.status)) {
        response.socket.destroy();
        chain.follow(response.headers.get('location')?.toString('latin1'));
        continue;
      }
      if (response.status < 200 || response.status > 299) {
        response.socket.destroy();
        throw new SourceError(`HTTP ${response.status}`);
      }
      if (/chunked/i.test(response.headers.get('transfer-encoding')?.toString('latin1') ?? '')) {
        response.socket.destroy();
        throw new SourceError('chunked stream not supported');
      }
      return response;
    }
  } catch (error) {
    throw asSourceError(error, timeout, options.signal);
  }
}

/** One hop: connect (address-checked), send the request, read the head. */
function requestHead(chain: RedirectChain, signal: AbortSignal, headers: Record<string, string> | undefined): Promise<StreamResponse> {
  const url = chain.current;
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    let socket: Socket;
    try {
      const lookup = checkedLookupFor(url, chain.checkAddress);
      const host = url.hostname.replace(/^\[|\]$/g, '');
      const port = Number(url.port) || (url.protocol === 'https:' ? 443 : 80);
      socket =
        url.protocol === 'https:'
          ? tlsConnect({ host, port, lookup, servername: isIpLiteral(host) ? '' : host, ALPNProtocols: ['http/1.1'] })
          : netConnect({ host, port, lookup });
    } catch (error) {
      return reject(error);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (error: unknown, response?: StreamResponse) => {
      signal.removeEventListener('abort', onAbort);
      socket.off('data', onData).off('error', finish).off('end', onEnd);
      if (response) {
        socket.pause();
        // Until the caller listens, an error (a reset) must not become an uncaught exception.
        socket.on('error', () => {});
        resolve(response);
      } else {
        socket.destroy();
        reject(error);
      }
    };
    const onAbort = () => finish(signal.reason);
    const onEnd = () => finish(new SourceError(size === 0 ? 'connection closed without an answer' : 'invalid HTTP response'));
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
      const data = chunks.length === 1 ? chunk : Buffer.concat(chunks, size);
      chunks.length = 0;
      chunks.push(data);
      const headEnd = endOfHead(data);
      if (!headEnd) {
        if (size > MAX_STREAM_HEAD_BYTES) finish(new SourceError('invalid HTTP response'));
        return;
      }
      try {
        const { protocol, status, headers: parsed } = parseHead(data.subarray(0, headEnd.start));
        finish(undefined, { protocol, status, headers: parsed, socket, rest: data.subarray(headEnd.end), url });
      } catch (error) {
        finish(error);
      }
    };
    signal.addEventListener('abort', onAbort, { once: true });
    socket.on('data', onData).on('error', finish).on('end', onEnd);
    socket.write(requestText(url, chain.authorization(), headers));
  });
}

function requestText(url: URL, authorization: string | undefined, extra: Record<string, string> = {}): string {
  const headers: Record<string, string> = {
    host: url.host,
    'user-agent': USER_AGENT,
    accept: '*/*',
    connection: 'close',
    ...(authorization ? { authorization } : {}),
    ...extra,
  };
  const lines = Object.entries(headers).map(([name, value]) => `${name}: ${value}`);
  return `GET ${url.pathname}${url.search} HTTP/1.0\r\n${lines.join('\r\n')}\r\n\r\n`;
}

/** Where the head ends: the blank line (CRLF CRLF, or bare LF LF as some old servers send). */
function endOfHead(data: Buffer): { start: number; end: number } | undefined {
  const limit = Math.min(data.length, MAX_STREAM_HEAD_BYTES + 4);
  for (let i = 0; i < limit - 1; i++) {
    if (data[i] !== 0x0a) continue;
    if (data[i + 1] === 0x0a) return { start: i, end: i + 2 };
    if (data[i + 1] === 0x0d && data[i + 2] === 0x0a) return { start: i, end: i + 3 };
  }
  return undefined;
}

const STATUS_LINE = /^(HTTP\/1\.[01]|ICY) (\d{3})(?: [^\r\n]*)?\r?$/;

/** Status line and headers; throws a SourceError for anything that is not an HTTP (or ICY) head. */
export function parseHead(head: Buffer): { protocol: string; status: number; headers: Map<string, Buffer> } {
  const lines: Buffer[] = [];
  let start = 0;
  for (let i = 0; i <= head.length; i++) {
    if (i === head.length || head[i] === 0x0a) {
      let end = i;
      if (end > start && head[end - 1] === 0x0d) end--;
      lines.push(head.subarray(start, end));
      start = i + 1;
    }
  }
  const match = STATUS_LINE.exec(lines[0]?.toString('latin1') ?? '');
  if (!match) throw new SourceError('invalid HTTP response');
  const headers = new Map<string, Buffer>();
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(0x3a);
    if (colon <= 0) throw new SourceError('invalid HTTP response');
    const name = line.subarray(0, colon).toString('latin1').trim().toLowerCase();
    if (!/^[!#$%&'*+.^_`|~0-9a-z-]+$/.test(name)) throw new SourceError('invalid HTTP response');
    if (!headers.has(name)) headers.set(name, trimBytes(line.subarray(colon + 1)));
  }
  return { protocol: match[1]!, status: Number(match[2]), headers };
}

function trimBytes(bytes: Buffer): Buffer {
  let start = 0;
  let end = bytes.length;
  while (start < end && (bytes[start] === 0x20 || bytes[start] === 0x09)) start++;
  while (end > start && (bytes[end - 1] === 0x20 || bytes[end - 1] === 0x09)) end--;
  return bytes.subarray(start, end);
}

function isIpLiteral(host: string): boolean {
  return /^[\d.]+$/.test(host) || host.includes(':');
}
