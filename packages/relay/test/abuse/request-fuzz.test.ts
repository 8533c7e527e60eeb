/**
 * Attack 8: a few hundred random request lines, headers, upgrades and WebSocket frames on raw
 * sockets. The relay process must survive all of them, never answer 500, log nothing at error
 * level, keep /healthz fast, and still serve a WebSocket client afterwards.
 * The cases come from a seeded generator: set ABUSE_SEED to replay a failing run.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { assertRelayBuilt, baseline, cleanup, expectBounds, httpGet, rawExchange, record, startFake, startMonitor, startRelay, summary, WsClient, type RawResult } from './harness.js';

afterEach(cleanup);
beforeAll(assertRelayBuilt);

const CASES = 400;
const CONCURRENCY = 16;
/** Stop starting cases after this long, whatever is left. */
const BUDGET_MS = 8000;

/** mulberry32: small, fast and reproducible from its seed. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)]!;
  const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => int(256)));
  return { next, int, pick, bytes };
}
type Rng = ReturnType<typeof prng>;

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH', 'CONNECT', 'TRACE', 'PRI', 'get', 'G\u0000T', 'GETT', ''];
const VERSIONS = ['HTTP/1.1', 'HTTP/1.0', 'HTTP/2.0', 'HTTP/9.9', 'HTTP/1.1x', 'ICY', 'HTTP/', ''];

function target(rng: Rng): string {
  return rng.pick([
    () => rng.pick(['/healthz', '/stations', '/stations/live', '/now-playing.js', '/ws', '/ws/', '/', '*']),
    () => rng.pick(['/stations/%', '/stations/%E0%A4%A', '/stations/%00', '/stations/..%2F..%2Fetc%2Fpasswd', '/ws?station=%ZZ', '/ws?station=', '/ws?station=live&station=x']),
    () => rng.pick(['//', '/../../etc/passwd', 'http://evil.example/healthz', 'http://[::1', '/stations/live?' + '&'.repeat(5000), '/%%%']),
    () => `/stations/${'a'.repeat(rng.int(20_000))}`,
    () => `/ws?station=${encodeURIComponent(String.fromCodePoint(...Array.from({ length: 1 + rng.int(40) }, () => rng.int(0x10ffff - 0xe000) + 0xe000)))}`,
    () => rng.bytes(1 + rng.int(64)).toString('latin1').replace(/[\r\n ]/g, 'x'),
  ])();
}

function headers(rng: Rng): string {
  const lines: string[] = [];
  if (rng.next() < 0.8) lines.push('Host: 127.0.0.1');
  const count = rng.int(6);
  for (let i = 0; i < count; i++) {
    lines.push(
      rng.pick([
        () => `X-Forwarded-For: ${rng.pick(['203.0.113.7', 'garbage', '1.2.3.4, ::1, x', ''])}`,
        () => `If-None-Match: ${rng.pick(['"x"', '*', 'W/"abc"', '"'.repeat(100)])}`,
        () => `Content-Length: ${rng.pick(['5', '-1', 'abc', '99999999999999999999', '0, 7'])}`,
        () => `Transfer-Encoding: ${rng.pick(['chunked', 'gzip, chunked', 'x'])}`,
        () => `X-${rng.int(1000)}: ${'v'.repeat(rng.int(2000))}`,
        () => rng.bytes(1 + rng.int(40)).toString('latin1').replace(/[\r\n]/g, ':'),
        () => 'no colon at all',
        () => ' leading-space: folded',
      ])(),
    );
  }
  return lines.map((l) => `${l}\r\n`).join('');
}

/** A WebSocket handshake, valid or broken in one place. */
function upgrade(rng: Rng): string {
  const key = rng.pick([rng.bytes(16).toString('base64'), '', 'short', 'x'.repeat(300), '!!!!!!!!!!!!!!!!!!!!!!!!']);
  const version = rng.pick(['13', '13', '13', '8', '', 'abc', '13, 8']);
  const path = rng.pick(['/ws?station=live', '/ws', '/ws?station=nope', '/healthz', '/ws?station=%ZZ', target(rng)]);
  return (
    `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n` +
    `${rng.next() < 0.9 ? 'Upgrade: websocket\r\n' : 'Upgrade: h2c\r\n'}` +
    `${rng.next() < 0.9 ? 'Connection: Upgrade\r\n' : 'Connection: keep-alive\r\n'}` +
    `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: ${version}\r\n` +
    `${rng.next() < 0.3 ? 'Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n' : ''}\r\n`
  );
}

/** WebSocket frames a browser would never send: bad opcodes, lengths, masks, control frames. */
function badFrames(rng: Rng): Buffer {
  const mask = rng.bytes(4);
  return rng.pick([
    () => rng.bytes(1 + rng.int(512)),
    () => Buffer.concat([Buffer.from([0x81, 0xff]), Buffer.from([0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), mask]), // 2^63 bytes
    () => Buffer.concat([Buffer.from([0x81, 0x05]), Buffer.from('hello')]), // unmasked
    () => Buffer.concat([Buffer.from([0x89, 0xfe, 0x00, 0xc8]), mask, rng.bytes(200)]), // ping longer than 125
    () => Buffer.concat([Buffer.from([0x88, 0x82]), mask, Buffer.from([0x03 ^ mask[0]!, 0xe7 ^ mask[1]!])]), // close 999
    () => Buffer.concat([Buffer.from([0x01, 0x83]), mask, rng.bytes(3), Buffer.from([0x01, 0x83]), mask, rng.bytes(3)]), // fragment, then a new message
    () => Buffer.concat([Buffer.from([0x80 | (3 + rng.int(5)), 0x80]), mask]), // reserved opcode
    () => Buffer.concat([Buffer.from([0xf1, 0x80]), mask]), // RSV bits set
    () => Buffer.concat([Buffer.from([0x81, 0xfe, 0x10, 0x00]), mask, rng.bytes(4096)]), // over the 1024-byte limit
  ])();
}

/** One fuzz case: the chunks written on one connection. */
function fuzzCase(rng: Rng): Buffer[] {
  return rng.pick([
    () => [Buffer.from(`${rng.pick(METHODS)} ${target(rng)} ${rng.pick(VERSIONS)}\r\n${headers(rng)}\r\n`, 'latin1')],
    () => [Buffer.from(upgrade(rng)), badFrames(rng)],
    () => [Buffer.from(upgrade(rng))],
    () => [rng.bytes(1 + rng.int(4096))],
    () => [Buffer.from(`GET /healthz HTTP/1.1\r\n${'X-Big: '.concat('b'.repeat(1000), '\r\n').repeat(100)}\r\n`)], // 100 KB of headers
    () => [Buffer.from(`GET /stations HTTP/1.1\r\nHost: x\r\n\r\n`.repeat(1 + rng.int(30)))], // pipelined
    () => [Buffer.from(`POST /stations HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n${'x'.repeat(100)}\r\n`)],
    () => [Buffer.from(`GET /heal`)], // torn request line, then silence
    () => [Buffer.from(`GET / HTTP/1.1\r\n`), Buffer.from(`\u0000\u0001\r\n\r\n`)],
  ])();
}

/** Always sent first: request targets that break a naive `new URL(req.url, base)` and friends. */
const CORPUS: string[] = [
  'GET // HTTP/1.1\r\nHost: x\r\n\r\n',
  'GET //evil.example/healthz HTTP/1.1\r\nHost: x\r\n\r\n',
  'GET http://[::1 HTTP/1.1\r\nHost: x\r\n\r\n',
  'GET /%%% HTTP/1.1\r\nHost: x\r\n\r\n',
  'GET /stations/%E0%A4%A HTTP/1.1\r\nHost: x\r\n\r\n',
  'GET * HTTP/1.1\r\nHost: x\r\n\r\n',
  'OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n',
  'GET http://: HTTP/1.1\r\nHost: x\r\n\r\n',
  'GET // HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
  'GET /ws?station=%ZZ HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
];

describe('request-line fuzz', () => {
  it('survives a few hundred random requests, upgrades and frames; still serves afterwards', async () => {
    const seed = Number(process.env.ABUSE_SEED ?? Date.now() % 2 ** 31);
    const rng = prng(seed);
    const fake = await startFake();
    const relay = await startRelay(fake.url);
    const base = await baseline(relay);
    const monitor = startMonitor(relay);

    // Generated up front, so a seed replays the same cases whatever order the connections finish in.
    const cases = [...CORPUS.map((text) => [Buffer.from(text, 'latin1')]), ...Array.from({ length: CASES }, () => fuzzCase(rng))];
    const statuses: Record<string, number> = {};
    const ends: Record<string, number> = {};
    const odd: string[] = []; // answers that are not an HTTP status line, a few kept for the record
    let suspects: string[] = []; // the cases around the first refused connection, if the relay died
    const started = Date.now();
    let next = 0;
    const worker = async () => {
      while (next < cases.length && Date.now() - started < BUDGET_MS) {
        const index = next++;
        const result: RawResult = await rawExchange(relay.port, cases[index]!);
        const status = /^HTTP\/1\.[01] (\d{3})/.exec(result.statusLine ?? '')?.[1] ?? (result.bytes > 0 ? 'other' : 'none');
        statuses[status] = (statuses[status] ?? 0) + 1;
        if (status === 'other' && odd.length < 5) odd.push(JSON.stringify(result.statusLine).slice(0, 80));
        ends[result.ended] = (ends[result.ended] ?? 0) + 1;
        if (result.ended === 'ECONNREFUSED' && suspects.length === 0) {
          suspects = cases.slice(Math.max(0, index - 2 * CONCURRENCY), index).map((c) => JSON.stringify(Buffer.concat(c).toString('latin1').slice(0, 100)));
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    const report = await monitor.stop();
    const ran = Object.values(statuses).reduce((a, b) => a + b, 0);
    record('request fuzz', { seed, cases: ran, ms: Date.now() - started, statuses, odd, ends, baselineMb: base.rssMb, monitor: summary(report) });

    const context =
      `seed ${seed} (ABUSE_SEED=${seed} replays it); statuses ${JSON.stringify(statuses)}; ${relay.describe()}` +
      (suspects.length > 0 ? `; cases just before the first refused connection: ${suspects.join(' | ')}` : '');
    expect(ran, context).toBeGreaterThanOrEqual(200);
    expect(relay.alive(), `the relay died: ${context}`).toBe(true);
    expect(statuses['500'] ?? 0, `a request made a handler fail: ${context}`).toBe(0);
    expect(statuses['101'] ?? 0, `no valid handshake was ever tried (generator broken?): ${context}`).toBeGreaterThan(0);
    const errors = relay.logs.filter((line) => line.level >= 50);
    expect(errors, `error-level log lines: ${context}`).toEqual([]);
    expectBounds(report, base.rssMb, { rssGrowthMb: 64, healthzMs: 500 });

    expect((await httpGet(relay.healthUrl)).status).toBe(200);
    const after = await WsClient.open(relay.wsUrl('live'));
    expect((await after.next('snapshot', 5000)).station).toBe('live');
    // The client connected before the fuzz is still served too.
    fake.setTitle('live', 'Abuse - After fuzz');
    await base.client.next('patch', 5000, (m) => JSON.stringify(m).includes('After fuzz'));
  });
});
