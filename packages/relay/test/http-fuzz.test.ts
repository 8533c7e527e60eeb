/**
 * Random requests on raw sockets against a real relay: request lines (method-ish tokens, targets with
 * brackets, percent signs, unicode, absolute URLs with bad ports, `*`, very long ones), random header
 * sets and random WebSocket upgrades. Each must get an HTTP status line or a clean close within a
 * bounded time, never a 500 or a logged handler exception, and the relay must keep serving `/healthz`
 * and WebSocket snapshots throughout. Bounded: RUNS requests, each at most ANSWER_TIMEOUT_MS.
 */
import { connect } from 'node:net';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { captureLogs, closeAll, startStack, TestClient, type Stack, expectStillServing } from './helpers.js';

afterEach(closeAll);

const RUNS = 500;
/** Check that the relay still serves every this many requests. */
const CHECK_EVERY = 50;
/** A request unanswered (no status line, no close) this long is a hang. Generous: a busy 2-core box. */
const ANSWER_TIMEOUT_MS = 3000;

type Outcome = { kind: 'status'; line: string } | { kind: 'closed' } | { kind: 'hang' };

/** Write `bytes` on a fresh connection; the first line of the answer, or a close, or a hang. */
function exchange(port: number, bytes: Buffer): Promise<Outcome> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let received = Buffer.alloc(0);
    const finish = (outcome: Outcome) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(outcome);
    };
    const timer = setTimeout(() => finish({ kind: 'hang' }), ANSWER_TIMEOUT_MS);
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const end = received.indexOf('\r\n');
      if (end >= 0) finish({ kind: 'status', line: received.subarray(0, end).toString('latin1') });
      else if (received.length > 4096) finish({ kind: 'status', line: received.subarray(0, 80).toString('latin1') }); // not a status line: fails below
    });
    // A reset (the server destroying a socket it will not answer) counts as a close: no hang, no crash.
    socket.on('error', () => {});
    socket.on('close', () => finish(received.length > 0 ? { kind: 'status', line: received.toString('latin1') } : { kind: 'closed' }));
    socket.on('connect', () => socket.write(bytes));
  });
}


// --- generators ----------------------------------------------------------------------------------

/** Keep each generated piece on its line: the request's structure comes from the generator below. */
const oneLine = (text: string) => text.replace(/[\r\n]/g, '');

// Two kinds of request: plausible ones (ASCII, known methods and headers) that get past node:http's
// parser and reach the routes and the WebSocket endpoint with odd targets and values, and hostile ones
// (random methods, unicode and control characters anywhere, bad versions, bare LF line ends).

const asciiPiece = fc.constantFrom('/', '//', '[', ']', '%', '%zz', '%41', '%00', '%E0%A4%A', '%F0%9F%8E%B5', '?', '#', '..', '@', ':', '\\', 'ws', 'stations', 'healthz', 'live', 'now-playing.js', 'station=', '&', '*', ';', '~');
const anyPiece = fc.oneof(asciiPiece, fc.string({ unit: 'grapheme', maxLength: 8 }), fc.string({ unit: 'binary', maxLength: 4 }));
const pathOf = (p: fc.Arbitrary<string>) => fc.array(p, { maxLength: 12 }).map((pieces) => oneLine(pieces.join('')));

const targetOf = (p: fc.Arbitrary<string>) =>
  fc.oneof(
    { weight: 4, arbitrary: pathOf(p).map((path) => `/${path}`) },
    { weight: 2, arbitrary: fc.constantFrom('/ws?station=live', '/ws?station=nope', '/ws', '/healthz', '/stations', '/stations/live', '/now-playing.js', '*', '//[', '/', '//') },
    {
      weight: 2,
      arbitrary: fc
        .tuple(
          fc.constantFrom('http', 'https', 'HTTP', 'ftp', 'ws'),
          fc.constantFrom('a', '[', '[::1]', 'relay.test', ''),
          fc.oneof(fc.integer({ min: -5, max: 200_000 }).map(String), fc.constantFrom('', 'x', '99999')),
          pathOf(p),
        )
        .map(([scheme, host, port, path]) => `${scheme}://${host}${port === '' ? '' : `:${port}`}/${path}`),
    },
    { weight: 1, arbitrary: fc.integer({ min: 1500, max: 20_000 }).map((n) => `/${'a'.repeat(n)}`) },
  );

/** Headers a real client sends, with values that are valid for them. */
const validHeader = fc.oneof(
  fc.constantFrom<[string, string]>(
    ['Accept', '*/*'],
    ['Accept', 'application/json'],
    ['Connection', 'keep-alive'],
    ['Connection', 'close'],
    ['Content-Length', '0'],
    ['If-None-Match', '"x"'],
    ['If-None-Match', '*'],
    ['Origin', 'https://station.example'],
    ['X-Forwarded-For', '203.0.113.9, ::1'],
    ['User-Agent', 'Mozilla/5.0 (fuzz)'],
  ),
  fc.tuple(fc.stringMatching(/^X-[A-Za-z0-9-]{1,16}$/), fc.stringMatching(/^[!-~]([ -~]{0,38}[!-~])?$/)),
);
/** Known headers with values that may be invalid or huge. */
const knownHeader = fc.tuple(
  fc.constantFrom('Content-Length', 'Transfer-Encoding', 'Connection', 'If-None-Match', 'Origin', 'X-Forwarded-For', 'Expect', 'Range', 'Accept'),
  fc.oneof(
    fc.constantFrom('0', '5', '-1', 'chunked', 'close', 'keep-alive', '*', '"x"', 'W/"x"', '100-continue', 'bytes=0-1', '1.2.3.4, ::1', 'https://station.example'),
    fc.stringMatching(/^[ -~]{0,40}$/),
    fc.integer({ min: 0, max: 20_000 }).map((n) => 'v'.repeat(n)),
  ),
);
const anyHeader = fc.tuple(
  fc.oneof(fc.stringMatching(/^[A-Za-z0-9-]{1,20}$/), fc.string({ unit: 'grapheme', maxLength: 10 }).map(oneLine)),
  fc.string({ unit: 'grapheme', maxLength: 40 }).map(oneLine),
);

const upgradeHeadersOf = (key: fc.Arbitrary<string>, version: fc.Arbitrary<string>, upgrade: fc.Arbitrary<string>) =>
  fc.tuple(key, version, upgrade).map(([k, v, u]): [string, string][] => [
    ['Connection', 'Upgrade'],
    ['Upgrade', u],
    ['Sec-WebSocket-Key', k],
    ['Sec-WebSocket-Version', v],
  ]);
const randomUpgrade = upgradeHeadersOf(
  fc.oneof(fc.base64String({ minLength: 24, maxLength: 24 }), fc.string({ maxLength: 30 }).map(oneLine)),
  fc.oneof(fc.constantFrom('13', '8', '', 'x'), fc.integer().map(String)),
  fc.constantFrom('websocket', 'WebSocket', 'h2c', 'websocket, h2c', ''),
);
/** Mostly what a browser sends (a valid 16-byte key, version 13), sometimes not. */
const browserUpgrade = upgradeHeadersOf(
  fc.oneof({ weight: 4, arbitrary: fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => Buffer.from(b).toString('base64')) }, { weight: 1, arbitrary: fc.base64String({ maxLength: 30 }) }),
  fc.oneof({ weight: 4, arbitrary: fc.constant('13') }, { weight: 1, arbitrary: fc.constantFrom('8', '14', '') }),
  fc.oneof({ weight: 4, arbitrary: fc.constant('websocket') }, { weight: 1, arbitrary: fc.constantFrom('WebSocket', 'h2c', '') }),
);
const maybeUpgrade = fc.oneof({ weight: 3, arbitrary: fc.constant<[string, string][]>([]) }, { weight: 1, arbitrary: randomUpgrade });

const plausible = fc.record({
  method: fc.constantFrom('GET', 'GET', 'HEAD', 'OPTIONS', 'POST'),
  target: fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom('/healthz', '/stations', '/stations/', '/stations/live', '/healthz?x=%ZZ', 'http://a:99999/healthz', '/stations/live?cache=1', '/now-playing.js') },
    { weight: 4, arbitrary: targetOf(asciiPiece) },
  ),
  version: fc.constant('HTTP/1.1'),
  host: fc.constant(true),
  headers: fc.array(fc.oneof({ weight: 4, arbitrary: validHeader }, { weight: 1, arbitrary: knownHeader }), { maxLength: 3 }),
  upgrade: maybeUpgrade,
  eol: fc.constant('\r\n'),
  body: fc.constant(''),
});

const websocket = fc.record({
  method: fc.constant('GET'),
  target: fc.oneof(
    fc.constantFrom('/ws?station=live', '/ws/?station=live', '/ws', '/ws?station=', '/ws?station=nope', 'http://a:99999/ws?station=live', '/ws?station=live&station=x', '/ws?station=%ZZ', '//[', '/ws?station=' + 'x'.repeat(3000)),
    pathOf(asciiPiece).map((query) => `/ws?station=${query}`),
  ),
  version: fc.constant('HTTP/1.1'),
  host: fc.constant(true),
  headers: fc.array(validHeader, { maxLength: 2 }),
  upgrade: browserUpgrade,
  eol: fc.constant('\r\n'),
  body: fc.constant(''),
});

const hostile = fc.record({
  method: fc.oneof(
    fc.constantFrom('GET', 'HEAD', 'OPTIONS', 'POST', 'PUT', 'DELETE', 'PATCH', 'TRACE', 'CONNECT', 'PRI', 'get', 'SOURCE'),
    fc.stringMatching(/^[A-Za-z!#$%&'*+.^_`|~-]{1,10}$/),
    fc.string({ unit: 'binary', maxLength: 8 }).map(oneLine),
  ),
  target: fc.oneof(targetOf(anyPiece), fc.string({ unit: 'binary', maxLength: 30 }).map(oneLine)),
  version: fc.constantFrom('HTTP/1.1', 'HTTP/1.1', 'HTTP/1.0', 'HTTP/2.0', 'HTTP/0.9', 'HTTP/1.1.1', 'http/1.1', ''),
  host: fc.boolean(),
  headers: fc.array(fc.oneof(knownHeader, anyHeader), { maxLength: 6 }),
  upgrade: maybeUpgrade,
  eol: fc.constantFrom('\r\n', '\r\n', '\n'),
  body: fc.string({ maxLength: 20 }),
});

const request = fc.oneof({ weight: 2, arbitrary: plausible }, { weight: 1, arbitrary: websocket }, { weight: 2, arbitrary: hostile }).map((r) => {
  const all: [string, string][] = [...(r.host ? [['Host', 'relay.test'] as [string, string]] : []), ...r.headers, ...r.upgrade];
  const line = [r.method, r.target, r.version].filter((part) => part !== '').join(' ');
  // The head always ends with an empty line, so no request is merely unfinished (that would be a
  // legitimate wait for the headers timeout, tested in http-hygiene).
  const text = `${line}${r.eol}${all.map(([name, value]) => `${name}: ${value}${r.eol}`).join('')}${r.eol}${r.body}`;
  return text;
});

// --- the test ------------------------------------------------------------------------------------

describe('HTTP fuzzing', () => {
  it(`${RUNS} random requests and upgrades: each answered with a status line or closed, never a 500; the relay keeps serving`, async () => {
    const logs = captureLogs('warn');
    const stack = await startStack(undefined, {}, logs.logger);
    const port = stack.relay.address.port;
    const started = Date.now();
    const statuses = new Map<string, number>();
    let sent = 0;

    await fc.assert(
      fc.asyncProperty(request, async (text) => {
        const outcome = await exchange(port, Buffer.from(text, 'utf8'));
        if (outcome.kind === 'hang') throw new Error(`no answer and no close within ${ANSWER_TIMEOUT_MS} ms`);
        if (outcome.kind === 'status') {
          expect(outcome.line).toMatch(/^HTTP\/1\.1 [1-5]\d\d /);
          expect(outcome.line).not.toMatch(/^HTTP\/1\.1 5\d\d /); // no handler exceptions, no server errors
        }
        const key = outcome.kind === 'status' ? outcome.line.slice(9, 12) : 'closed';
        statuses.set(key, (statuses.get(key) ?? 0) + 1);
        if (++sent % CHECK_EVERY === 0) await expectStillServing(stack);
      }),
      { numRuns: RUNS, endOnFailure: true },
    );

    console.info(`[http-fuzz] ${sent} requests in ${Date.now() - started} ms: ${JSON.stringify(Object.fromEntries([...statuses].sort()))}`);
    await expectStillServing(stack);
    // Nothing reached a handler's catch (those log at error level).
    expect(logs.lines().filter((line) => (line.level as number) >= 50)).toEqual([]);
    // The generator reaches the interesting answers, not only one kind.
    for (const status of ['101', '200', '400', '404']) expect(statuses.get(status) ?? 0, status).toBeGreaterThan(0);
  });
});
