/**
 * HTTP hygiene of the relay, over raw sockets (node:net) so the exact bytes an attacker would send
 * reach the server, and the exact bytes it answers are checked: hostile request lines and headers,
 * limits (414, 431, 408), Content-Length, nosniff, HEAD, fixed error bodies. After every hostile
 * request the relay must still serve `/healthz` and a WebSocket snapshot.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { createHttpHandler } from '../src/http-api.js';
import { createHttpServer, MAX_HEADER_BYTES } from '../src/http-server.js';
import { Hub } from '../src/hub.js';
import { MAX_TARGET_LENGTH, parseRequestTarget } from '../src/request-target.js';
import { Stations } from '../src/stations.js';
import { captureLogs, closeAll, onCleanup, startStack, TestClient, type Stack, expectStillServing } from './helpers.js';

afterEach(closeAll);

interface RawResponse {
  /** `HTTP/1.1 404 Not Found`, or '' when the server closed without answering. */
  statusLine: string;
  status: number;
  /** Lower-case names; a repeated header keeps its last value. */
  headers: Record<string, string>;
  body: Buffer;
  /** The server closed the connection (rather than the read timing out). */
  closed: boolean;
}

/**
 * Write `request` on a fresh connection and read until the server closes it or `timeoutMs` passes
 * (then the socket is destroyed). Requests that should be answered normally carry
 * `Connection: close`, so "closed" is the end of the answer.
 */
function raw(port: number, request: string | Buffer, timeoutMs = 3000): Promise<RawResponse> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let closed = false;
    const timer = setTimeout(() => socket.destroy(), timeoutMs);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', () => {}); // a reset after the answer is fine: the bytes are what we check
    socket.on('end', () => (closed = true));
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(parseResponse(Buffer.concat(chunks), closed));
    });
    socket.write(request);
  });
}

function parseResponse(bytes: Buffer, closed: boolean): RawResponse {
  const end = bytes.indexOf('\r\n\r\n');
  const head = (end < 0 ? bytes : bytes.subarray(0, end)).toString('latin1');
  const [statusLine = '', ...lines] = head.split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const status = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1];
  return { statusLine, status: status ? Number(status) : 0, headers, body: end < 0 ? Buffer.alloc(0) : bytes.subarray(end + 4), closed };
}

const get = (target: string, extra = '', method = 'GET') => `${method} ${target} HTTP/1.1\r\nHost: relay.test\r\n${extra}Connection: close\r\n\r\n`;

const UPGRADE_HEADERS = 'Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n';


/** Every answer of ours: a length in bytes that matches the body, nosniff. */
function expectHygiene(response: RawResponse, method = 'GET'): void {
  expect(response.headers['x-content-type-options']).toBe('nosniff');
  expect(response.headers['content-length']).toMatch(/^\d+$/);
  expect(response.headers['transfer-encoding']).toBeUndefined();
  if (method !== 'HEAD' && response.status !== 304) expect(response.body.length).toBe(Number(response.headers['content-length']));
}

describe('hostile request lines do not crash the relay', () => {
  it('GET //[ is a 400 with a fixed body', async () => {
    const stack = await startStack();
    const res = await raw(stack.relay.address.port, get('//['));
    expect(res.statusLine).toBe('HTTP/1.1 400 Bad Request');
    expectHygiene(res);
    expect(JSON.parse(res.body.toString())).toEqual({ error: 'bad request target' });
    await expectStillServing(stack);
  });

  it('absolute-form with an invalid port (http://a:99999/x): the path is taken, the authority ignored', async () => {
    const stack = await startStack();
    const port = stack.relay.address.port;
    const missing = await raw(port, get('http://a:99999/x'));
    expect(missing.status).toBe(404);
    expectHygiene(missing);
    const health = await raw(port, get('http://a:99999/healthz'));
    expect(health.status).toBe(200);
    expect(JSON.parse(health.body.toString())).toMatchObject({ status: 'ok' });
    await expectStillServing(stack);
  });

  it('a WebSocket upgrade to //[ is refused with a status line, not a crash', async () => {
    const stack = await startStack();
    const res = await raw(stack.relay.address.port, `GET //[ HTTP/1.1\r\nHost: relay.test\r\n${UPGRADE_HEADERS}\r\n`);
    expect(res.status).toBe(400);
    expect(res.closed).toBe(true);
    await expectStillServing(stack);
  });

  it('a WebSocket upgrade with an invalid absolute-form port is parsed, not a crash', async () => {
    const stack = await startStack();
    const res = await raw(stack.relay.address.port, `GET http://a:99999/nope HTTP/1.1\r\nHost: relay.test\r\n${UPGRADE_HEADERS}\r\n`);
    expect(res.status).toBe(404);
    await expectStillServing(stack);
  });

  it('`*`, and HTTP/1.1 without Host, are 400s with our headers', async () => {
    const stack = await startStack();
    const port = stack.relay.address.port;
    const star = await raw(port, get('*', '', 'OPTIONS'));
    expect(star.status).toBe(400);
    expectHygiene(star);
    const hostless = await raw(port, 'GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n');
    expect(hostless.status).toBe(400);
    expectHygiene(hostless);
    // HTTP/1.0 has no Host requirement.
    expect((await raw(port, 'GET /healthz HTTP/1.0\r\n\r\n')).status).toBe(200);
    await expectStillServing(stack);
  });
});

describe('size limits are answered, not dropped', () => {
  it(`a 10 KB target is a 414 (the limit is ${MAX_TARGET_LENGTH} bytes); one at the limit is routed`, async () => {
    const stack = await startStack();
    const port = stack.relay.address.port;
    const long = await raw(port, get(`/stations/${'a'.repeat(10_000)}`));
    expect(long.statusLine).toBe('HTTP/1.1 414 URI Too Long');
    expectHygiene(long);
    expect(long.body.toString()).not.toContain('aaaa');
    const atLimit = `/healthz?${'p'.repeat(MAX_TARGET_LENGTH - '/healthz?'.length)}`;
    expect(atLimit).toHaveLength(MAX_TARGET_LENGTH);
    expect((await raw(port, get(atLimit))).status).toBe(200);
    expect((await raw(port, get(`${atLimit}p`))).status).toBe(414);
    await expectStillServing(stack);
  });

  it('a request line longer than the header limit is a 414 with Connection: close', async () => {
    const stack = await startStack();
    const res = await raw(stack.relay.address.port, get(`/${'a'.repeat(MAX_HEADER_BYTES + 4000)}`));
    expect(res.statusLine).toBe('HTTP/1.1 414 URI Too Long');
    expect(res.headers.connection).toBe('close');
    expect(res.closed).toBe(true);
    expectHygiene(res);
    await expectStillServing(stack);
  });

  it('20 KB of headers is a 431 with Connection: close (one big header, or many)', async () => {
    const stack = await startStack();
    const port = stack.relay.address.port;
    const big = await raw(port, get('/healthz', `X-Big: ${'b'.repeat(20_000)}\r\n`));
    expect(big.statusLine).toBe('HTTP/1.1 431 Request Header Fields Too Large');
    expect(big.headers.connection).toBe('close');
    expect(big.closed).toBe(true);
    expectHygiene(big);
    const many = Array.from({ length: 400 }, (_, i) => `X-H${i}: ${'v'.repeat(50)}\r\n`).join('');
    const res = await raw(port, get('/healthz', many));
    expect(res.status).toBe(431);
    expectHygiene(res);
    await expectStillServing(stack);
  });

  it('a malformed request line is a 400 with Connection: close', async () => {
    const stack = await startStack();
    const res = await raw(stack.relay.address.port, 'G@T / HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(res.statusLine).toBe('HTTP/1.1 400 Bad Request');
    expect(res.headers.connection).toBe('close');
    expectHygiene(res);
    await expectStillServing(stack);
  });
});

describe('every answer: Content-Length in bytes, nosniff, CORS; HEAD = GET headers', () => {
  async function bundleStack(): Promise<Stack> {
    const dir = await mkdtemp(`${tmpdir()}/np-bundle-`);
    await writeFile(`${dir}/now-playing.js`, 'export const note = "♫ ü";');
    await writeFile(`${dir}/now-playing.iife.js`, 'var note = "♫";');
    for (const history of ['now-playing-history.js', 'now-playing-history.iife.js']) await writeFile(`${dir}/${history}`, 'var history = 1;');
    return startStack({ '/live': { title: 'Björk - Jóga ♫ 日本語', serverName: 'Ràdio ✓' } }, { bundleDir: dir });
  }

  it('JSON and bundle answers carry the byte length of non-ASCII bodies', async () => {
    const stack = await bundleStack();
    const port = stack.relay.address.port;
    const state = await raw(port, get('/stations/live'));
    expect(state.status).toBe(200);
    expectHygiene(state);
    const text = state.body.toString('utf8');
    expect(text).toContain('日本語');
    expect(Number(state.headers['content-length'])).toBe(Buffer.byteLength(text));
    expect(Number(state.headers['content-length'])).toBeGreaterThan(text.length);
    expect(state.headers['access-control-allow-origin']).toBe('*');

    const bundle = await raw(port, get('/now-playing.js'));
    expect(bundle.status).toBe(200);
    expectHygiene(bundle);
    expect(bundle.body.toString('utf8')).toBe('export const note = "♫ ü";');
    expect(bundle.headers['content-length']).toBe(String(Buffer.byteLength('export const note = "♫ ü";')));
  });

  it('HEAD answers exactly the GET headers and no body, for every route', async () => {
    const stack = await bundleStack();
    const port = stack.relay.address.port;
    const targets = ['/healthz', '/stations', '/stations/', '/stations/live', '/stations/nope', '/now-playing.js', '/now-playing.iife.js', '/elsewhere', '//[', `/${'x'.repeat(3000)}`];
    for (const target of targets) {
      const [got, head] = [await raw(port, get(target)), await raw(port, get(target, '', 'HEAD'))];
      expect(head.status, target).toBe(got.status);
      expectHygiene(got);
      expectHygiene(head, 'HEAD');
      const { date: _a, ...getHeaders } = got.headers;
      const { date: _b, ...headHeaders } = head.headers;
      expect(headHeaders, target).toEqual(getHeaders);
      expect(head.body.length, target).toBe(0);
    }
  });

  it('304 carries the ETag, nosniff and the length of the 200 it stands for; no body', async () => {
    const stack = await bundleStack();
    const port = stack.relay.address.port;
    for (const target of ['/stations/live', '/now-playing.js']) {
      const full = await raw(port, get(target));
      const cached = await raw(port, get(target, `If-None-Match: ${full.headers.etag}\r\n`));
      expect(cached.status, target).toBe(304);
      expect(cached.headers.etag).toBe(full.headers.etag);
      expect(cached.headers['content-length']).toBe(full.headers['content-length']);
      expect(cached.headers['x-content-type-options']).toBe('nosniff');
      expect(cached.headers['cache-control']).toBe(full.headers['cache-control']);
      expect(cached.body.length).toBe(0);
    }
  });

  it('OPTIONS (CORS preflight) is a 204 with nosniff and, as RFC 9110 requires, no Content-Length', async () => {
    const stack = await startStack();
    const res = await raw(stack.relay.address.port, get('/stations/live', 'Origin: https://station.example\r\n', 'OPTIONS'));
    expect(res.status).toBe(204);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['access-control-allow-methods']).toBe('GET, HEAD, OPTIONS');
    expect(res.headers['content-length']).toBeUndefined();
    expect(res.headers['transfer-encoding']).toBeUndefined();
  });

  it('405 names the allowed methods; 404s never echo the request', async () => {
    const stack = await startStack();
    const port = stack.relay.address.port;
    const post = await raw(port, get('/stations', 'Content-Length: 0\r\n', 'POST'));
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe('GET, HEAD, OPTIONS');
    expectHygiene(post);
    expect(JSON.parse(post.body.toString())).toEqual({ error: 'method not allowed' });

    const marker = '%3Cscript%3Ealert(1)%3C%2Fscript%3E';
    for (const target of [`/${marker}`, `/stations/${marker}`, `/stations/<img>`]) {
      const res = await raw(port, get(target));
      expect(res.status, target).toBe(404);
      expectHygiene(res);
      expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
      const body = res.body.toString();
      for (const echo of ['script', 'alert', 'img', 'stations/', marker]) expect(body, target).not.toContain(echo);
    }
  });
});

describe('the server is total', () => {
  /** A bare server from createHttpServer on a loopback port, closed after the test. */
  async function serve(options: Partial<Parameters<typeof createHttpServer>[0]>): Promise<{ server: Server; port: number; logs: ReturnType<typeof captureLogs> }> {
    const logs = captureLogs();
    const server = createHttpServer({
      handler: (_req, res) => res.end('ok'),
      onUpgrade: (_req, socket) => socket.destroy(),
      log: logs.logger,
      ...options,
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    onCleanup(
      () =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    );
    return { server, port: (server.address() as AddressInfo).port, logs };
  }

  it('an exception in an API route is a 500 and one log line; the next request is served', async () => {
    const logs = captureLogs();
    let failing = true;
    const stations = new Stations({ historyLength: 1, heartbeat: 1000, publish: () => {}, removed: () => {} });
    const handler = createHttpHandler({
      upstreams: () => {
        if (failing) throw new Error('boom in a route');
        return [];
      },
      stations,
      hub: new Hub(),
      startedAt: new Date(),
      log: logs.logger,
    });
    const { port } = await serve({ handler });
    const res = await raw(port, get('/healthz'));
    expect(res.statusLine).toBe('HTTP/1.1 500 Internal Server Error');
    expectHygiene(res);
    expect(JSON.parse(res.body.toString())).toEqual({ error: 'internal error' });
    expect(res.body.toString()).not.toContain('boom');
    const head = await raw(port, get('/healthz', '', 'HEAD'));
    expect(head.status).toBe(500);
    expect(head.body.length).toBe(0);
    const errors = logs.lines().filter((line) => line.msg === 'HTTP request failed');
    expect(errors).toHaveLength(2);
    expect(JSON.stringify(errors[0]!.err)).toContain('boom in a route');
    failing = false;
    expect((await raw(port, get('/healthz'))).status).toBe(200);
  });

  it('a handler that throws synchronously (not ours) still gets a 500, not a crash', async () => {
    const { port, logs } = await serve({
      handler: () => {
        throw new Error('sync boom');
      },
    });
    const res = await raw(port, get('/'));
    expect(res.status).toBe(500);
    expectHygiene(res);
    expect(logs.text()).toContain('sync boom');
  });

  it('an upgrade handler that throws answers 400 (unparseable URL) or 500, and logs', async () => {
    const { port, logs } = await serve({
      onUpgrade: (req) => {
        // What websocket.ts used to do; `//[` throws TypeError [ERR_INVALID_URL].
        const url = new URL(req.url ?? '/', 'http://relay');
        if (url.pathname === '/other') throw new Error('upgrade boom');
      },
    });
    const bad = await raw(port, `GET //[ HTTP/1.1\r\nHost: x\r\n${UPGRADE_HEADERS}\r\n`);
    expect(bad.statusLine).toBe('HTTP/1.1 400 Bad Request');
    expect(bad.closed).toBe(true);
    expectHygiene(bad);
    const boom = await raw(port, `GET /other HTTP/1.1\r\nHost: x\r\n${UPGRADE_HEADERS}\r\n`);
    expect(boom.statusLine).toBe('HTTP/1.1 500 Internal Server Error');
    expectHygiene(boom);
    expect(logs.lines().filter((line) => line.msg === 'upgrade handler threw').map((line) => line.status)).toEqual([400, 500]);
    expect((await raw(port, get('/'))).body.toString()).toBe('ok');
  });

  it('a client that resets an upgrade socket mid-handshake is logged, not an uncaught error', async () => {
    let upgraded!: () => void;
    const seen = new Promise<void>((resolve) => (upgraded = resolve));
    const { port } = await serve({ onUpgrade: () => upgraded() }); // holds the socket, writes nothing
    const socket = connect(port, '127.0.0.1');
    socket.on('error', () => {});
    socket.write(`GET /ws HTTP/1.1\r\nHost: x\r\n${UPGRADE_HEADERS}\r\n`);
    await seen;
    socket.resetAndDestroy();
    expect((await raw(port, get('/'))).body.toString()).toBe('ok');
  });

  it('a refused upgrade or a refused request is closed even if the peer keeps its side open', async () => {
    const { server, port } = await serve({
      // What websocket.ts does to refuse an upgrade: answer and end (our side only).
      onUpgrade: (_req, socket) => void socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n'),
    });
    const connections = () => new Promise<number>((resolve) => server.getConnections((_error, count) => resolve(count)));
    const halfOpen = (request: string) =>
      new Promise<string>((resolve) => {
        const socket = connect({ port, host: '127.0.0.1', allowHalfOpen: true });
        onCleanup(() => socket.destroy());
        socket.on('error', () => {});
        let answer = '';
        socket.on('data', (chunk: Buffer) => (answer += chunk.toString('latin1')));
        socket.on('end', () => resolve(answer.split('\r\n')[0]!)); // the server's FIN; we keep our side open
        socket.write(request);
      });
    expect(await halfOpen(`GET /nope HTTP/1.1\r\nHost: x\r\n${UPGRADE_HEADERS}\r\n`)).toBe('HTTP/1.1 404 Not Found');
    expect(await halfOpen(get('/', `X-Big: ${'b'.repeat(20_000)}\r\n`))).toBe('HTTP/1.1 431 Request Header Fields Too Large');
    const deadline = Date.now() + 5000;
    while ((await connections()) > 0) {
      expect(Date.now(), 'the server still holds the half-open sockets').toBeLessThan(deadline);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  });

  it('an Expect other than 100-continue is ignored (RFC 9110 allows it): the usual answer and headers, not a bare 417', async () => {
    const stack = await startStack();
    const res = await raw(stack.relay.address.port, get('/healthz', 'Expect: teapot\r\n'));
    expect(res.status).toBe(200);
    expectHygiene(res);
  });

  it('slowloris: headers not finished within headersTimeout get a 408 and a close; WebSocket clients are not timed out', async () => {
    const wss = new WebSocketServer({ noServer: true });
    onCleanup(() => new Promise<void>((resolve) => wss.close(() => resolve())));
    const { port } = await serve({
      headersTimeoutMs: 200,
      requestTimeoutMs: 400,
      // Answers only once the whole body is in, as a handler that reads a body would.
      handler: (req, res) => {
        req.resume();
        req.on('end', () => res.end('ok'));
      },
      onUpgrade: (req, socket, head) => wss.handleUpgrade(req, socket, head, (ws) => ws.on('message', (data) => ws.send(data.toString()))),
    });
    const ws = await TestClient.open(`ws://127.0.0.1:${port}/ws`);
    const started = Date.now();
    // An unfinished request (no blank line), then silence.
    const slow = await raw(port, 'GET / HTTP/1.1\r\nHost: x\r\nX-Slow: 1\r\n', 5000);
    expect(slow.statusLine).toBe('HTTP/1.1 408 Request Timeout');
    expect(slow.closed).toBe(true);
    expectHygiene(slow);
    expect(Date.now() - started).toBeLessThan(3000);
    // A body that never completes: requestTimeout.
    const body = await raw(port, 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc', 5000);
    expect(body.status).toBe(408);
    // The WebSocket, open since before both timeouts expired, still answers.
    expect(Date.now() - started).toBeGreaterThan(400);
    const echoed = new Promise<string>((resolve) => ws.ws.once('message', (data) => resolve(data.toString())));
    ws.ws.send('{"still":"here"}');
    expect(await echoed).toBe('{"still":"here"}');
  });
});

describe('parseRequestTarget', () => {
  it('accepts origin-form and absolute-form, refuses everything else without throwing', () => {
    expect(parseRequestTarget('/ws?station=live')).toMatchObject({ pathname: '/ws' });
    expect(parseRequestTarget('/ws?station=live')?.searchParams.get('station')).toBe('live');
    expect(parseRequestTarget('http://a:99999/x?y=1')?.pathname).toBe('/x');
    expect(parseRequestTarget('HTTPS://[::1]:8080/ws?station=a%2Fb')?.searchParams.get('station')).toBe('a/b');
    expect(parseRequestTarget('http://host')?.pathname).toBe('/');
    expect(parseRequestTarget('http://host?x=1')?.searchParams.get('x')).toBe('1');
    expect(parseRequestTarget('/[%zz]\\é')).toBeDefined();
    for (const bad of [undefined, '', '*', '//[', '//evil.example/ws', 'example.com:443', 'ftp://a/x', 'garbage', 'http://a//x', `/${'a'.repeat(MAX_TARGET_LENGTH)}`]) {
      expect(parseRequestTarget(bad), String(bad)).toBeUndefined();
    }
  });
});
