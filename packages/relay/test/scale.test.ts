/**
 * Scale-out over a real redis-server: several relay instances (in this process, each with its own
 * HTTP server and WebSocket clients), one fake Icecast. The failover by SIGKILL, with processes, is in
 * scale-failover.test.ts.
 */
import { startFakeIcecast, type FakeIcecast, type MountState } from '@now-playing/fake-icecast';
import { CloseCode } from '@now-playing/protocol';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseCli } from '../src/cli-args.js';
import { createRelay, type Logger, type Relay, type RelayOptions } from '../src/index.js';
import { BACKPLANE_STALE_REASON } from '../src/scale/scale-out.js';
import { captureLogs, closeAll, FAST, onCleanup, TestClient, waitFor } from './helpers.js';
import { startRedisServer, type RedisServer } from './redis-server.js';

/** Short leases, so takeovers happen within a test's time. */
const TTL = 1000;

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(async () => {
  await redis?.stop();
});
afterEach(async () => {
  await closeAll();
  redis.cli('FLUSHALL');
});

interface Instance {
  relay: Relay;
  ws: (station: string) => string;
  healthz: () => Promise<Healthz>;
  /** Whether this instance reads the fake (holds its lease). */
  reads: () => boolean;
}

interface Healthz {
  status: string;
  redis?: { state: string; instance: string; leases: string[] };
  upstreams: { state: string; stations: string[]; lease?: { holder: string | null; self: boolean } }[];
}

async function fakeStation(mounts: Record<string, MountState> = { '/live': { title: 'Artist - First', serverName: 'Live' } }): Promise<FakeIcecast> {
  const fake = await startFakeIcecast({ mounts });
  onCleanup(() => fake.close());
  return fake;
}

async function instance(fake: FakeIcecast, options: Partial<RelayOptions> = {}, logger?: Logger): Promise<Instance> {
  const relay = createRelay(
    { upstreams: [fake.url], host: '127.0.0.1', port: 0, logLevel: 'silent', ...FAST, redis: redis.url, redisLeaseTtl: TTL, ...options },
    logger ? { logger } : {},
  );
  await relay.start();
  onCleanup(() => relay.stop(500));
  const port = relay.address.port;
  return {
    relay,
    ws: (station) => `ws://127.0.0.1:${port}/ws?station=${encodeURIComponent(station)}`,
    healthz: async () => (await (await fetch(`http://127.0.0.1:${port}/healthz`)).json()) as Healthz,
    reads: () => relay.scaleOut?.holds(relay.upstreams[0]!.url) ?? false,
  };
}

/** Call `get` every 20 ms until `ok` accepts its answer (returned), for at most `timeout` ms. */
async function until<T>(get: () => Promise<T>, ok: (value: T) => boolean, timeout: number, what: string): Promise<T> {
  const deadline = Date.now() + timeout;
  for (;;) {
    const value = await get();
    if (ok(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('scale-out over Redis', () => {
  it('one instance reads the upstream; clients on every instance get every change with the same seq', async () => {
    const fake = await fakeStation();
    const a = await instance(fake);
    const first = await TestClient.open(a.ws('live'));
    await first.next('snapshot');
    fake.setTitle('live', 'Artist - Before B');
    await first.next('patch'); // committed: a client gets a change only once it is stored

    // B starts after the change: it starts from the stored state and seq.
    const b = await instance(fake);
    expect([a.reads(), b.reads()]).toEqual([true, false]);
    const ca = await TestClient.open(a.ws('live'));
    const cb = await TestClient.open(b.ws('live'));
    const [sa, sb] = [await ca.next('snapshot'), await cb.next('snapshot')];
    expect(sb.seq).toBe(sa.seq);
    expect(sb.data).toEqual(sa.data);
    expect(sb.data.track?.text).toBe('Artist - Before B');

    let seq = sa.seq;
    for (const title of ['Artist - Second', 'Artist - Third', 'Artist - Fourth']) {
      fake.setTitle('live', title);
      const [pa, pb] = [await ca.next('patch'), await cb.next('patch')];
      expect(pb).toEqual(pa);
      expect(pa.seq).toBe(++seq);
      expect(pa.patch).toMatchObject({ track: { text: title } });
    }
    // B never made a request of its own: its upstream never answered it.
    expect(b.relay.upstreams[0]!.health().lastSuccessAt).toBeUndefined();

    // B shows A's health of the upstream as A stored it beside the lease (refreshed every third of a TTL).
    const hb = await until(b.healthz, (h) => h.upstreams[0]?.state === 'ok', 2 * TTL, "A's health on B");
    const ha = await a.healthz();
    expect(ha.redis).toMatchObject({ state: 'ready', leases: [fake.statusUrl] });
    expect(hb.redis).toMatchObject({ state: 'ready', leases: [] });
    expect(hb.status).toBe('ok');
    expect(hb.upstreams[0]).toMatchObject({ state: 'ok', stations: ['live'], lease: { holder: ha.redis!.instance, self: false } });
    expect(ha.upstreams[0]).toMatchObject({ state: 'ok', lease: { holder: ha.redis!.instance, self: true } });
  });

  it('a stopped holder hands over at once; clients on the other instance see no gap and no repeat', async () => {
    const fake = await fakeStation();
    const a = await instance(fake);
    const b = await instance(fake);
    const cb = await TestClient.open(b.ws('live'));
    const { seq } = await cb.next('snapshot');
    const leaseGauge = async (instance: Instance) => {
      const text = await (await fetch(`${instance.relay.url}/metrics`)).text();
      return new RegExp(`^now_playing_lease_held\\{upstream="${fake.statusUrl.replace(/[.]/g, '\\.')}"\\} (\\d)$`, 'm').exec(text)?.[1];
    };
    expect([await leaseGauge(a), await leaseGauge(b)]).toEqual(['1', '0']);

    await a.relay.stop(500); // releases its lease
    await waitFor(() => b.reads(), TTL, 'B to read');
    expect(await leaseGauge(b)).toBe('1');
    fake.setTitle('live', 'Artist - After the handover');
    const patch = await cb.next('patch');
    expect(patch.seq).toBe(seq + 1);
    expect(patch.patch).toMatchObject({ track: { text: 'Artist - After the handover' } });
    expect(b.relay.upstreams[0]!.health().lastSuccessAt).toBeDefined();
  });

  it('a station the holder removes is removed on every instance (clients closed with 4404)', async () => {
    const fake = await fakeStation();
    const a = await instance(fake, { evictOfflineAfter: 1000 });
    const b = await instance(fake, { evictOfflineAfter: 1000 });
    const cb = await TestClient.open(b.ws('live'));
    await cb.next('snapshot');
    fake.removeMount('live');
    expect((await cb.next('patch')).patch).toMatchObject({ online: false });
    expect(await cb.closed).toEqual({ code: CloseCode.UnknownStation, reason: 'station removed: off air for too long' });
    expect(b.relay.stations.get('live')).toBeUndefined();
    expect(a.relay.stations.get('live')).toBeUndefined();
    expect(redis.cli('HLEN', `now-playing:stations:${fake.statusUrl}`)).toBe('0');
  });

  it('Redis going away: clients keep the last state, marked stale after a TTL; after a restart both recover by themselves', async () => {
    const fake = await fakeStation();
    const logs = captureLogs('warn');
    const a = await instance(fake, {}, logs.logger);
    const b = await instance(fake);
    const ca = await TestClient.open(a.ws('live'));
    const cb = await TestClient.open(b.ws('live'));
    const snapshot = await ca.next('snapshot');
    await cb.next('snapshot');

    await redis.stop();
    for (const client of [ca, cb]) expect((await client.next('patch', 3 * TTL)).patch).toMatchObject({ stale: true, staleReason: BACKPLANE_STALE_REASON });
    const down = await b.healthz();
    expect(down).toMatchObject({ status: 'degraded', redis: { state: 'reconnecting', leases: [] } });
    expect([a.reads(), b.reads()]).toEqual([false, false]);

    // A Redis without persistence comes back empty: the instances put back what they had.
    await redis.restart();
    for (const client of [ca, cb]) {
      const restored = await client.next('snapshot', 10_000);
      expect(restored.seq).toBe(snapshot.seq);
      expect(restored.data).toEqual(snapshot.data);
    }
    await waitFor(() => a.reads() !== b.reads(), 5000, 'one instance to read again');
    fake.setTitle('live', 'Artist - After the restart');
    const [pa, pb] = [await ca.next('patch', 5000), await cb.next('patch', 5000)];
    expect(pb).toEqual(pa);
    expect(pa.seq).toBe(snapshot.seq + 1);
    expect((await a.healthz()).redis?.state).toBe('ready');
    await until(b.healthz, (h) => h.status === 'ok', 2 * TTL, 'B healthy');
    const warnings = logs.lines().map((l) => l.msg);
    expect(warnings.filter((m) => m === 'redis connection lost: serving the last known state, reconnecting')).toHaveLength(1);
    expect(warnings).toContain('the backplane lost its data: restoring the stations this instance knew');
  });

  it('an instance started while Redis is down listens anyway, and reads once Redis is up', async () => {
    const fake = await fakeStation();
    await redis.stop();
    const a = await instance(fake); // waits for Redis at most the request timeout + 2 s
    expect(await a.healthz()).toMatchObject({ status: 'degraded', redis: { state: 'connecting', leases: [] }, upstreams: [{ state: 'unknown', lease: { holder: null, self: false } }] });
    expect(a.relay.stations.size).toBe(0);
    await redis.restart();
    await waitFor(() => a.reads() && a.relay.stations.get('live') !== undefined, 10_000, 'A to read the upstream');
    const client = await TestClient.open(a.ws('live'));
    expect((await client.next('snapshot')).data.track?.text).toBe('Artist - First');
    expect((await a.healthz()).status).toBe('ok');
  });

  it('changes for an upstream this instance is not configured with are ignored', async () => {
    const fake = await fakeStation();
    await instance(fake);
    const b = await instance(fake);
    const cb = await TestClient.open(b.ws('live'));
    await cb.next('snapshot');
    const foreign = {
      kind: 'change',
      from: 'elsewhere',
      upstream: 'http://elsewhere.example/status-json.xsl',
      record: { id: 'intruder', mount: '/intruder', incarnation: 'x', seq: 2, state: { station: { id: 'intruder' }, online: true, stale: false, history: {} } },
      patch: {},
    };
    redis.cli('PUBLISH', 'now-playing:changes:0', JSON.stringify(foreign));
    // Pub/sub keeps order: once a later change has arrived, the foreign one was seen (and ignored).
    fake.setTitle('live', 'Artist - Later');
    await cb.next('patch');
    expect(b.relay.stations.get('intruder')).toBeUndefined();
  });

  it('deployments on different databases of one Redis do not mix (keys and channel are per database)', async () => {
    const fake = await fakeStation();
    const zero = await instance(fake, { redis: `${redis.url}/0` });
    const c0 = await TestClient.open(zero.ws('live'));
    await c0.next('snapshot');
    fake.setTitle('live', 'Artist - Zero only');
    await c0.next('patch'); // deployment 0 is one seq ahead of deployment 1 from here on
    const one = await instance(fake, { redis: `${redis.url}/1` });
    const follower = await instance(fake, { redis: `${redis.url}/1` });
    expect([zero.reads(), one.reads(), follower.reads()]).toEqual([true, true, false]);
    const c1 = await TestClient.open(follower.ws('live'));
    const { seq } = await c1.next('snapshot');
    for (const [n, title] of ['Artist - Both', 'Artist - Again'].entries()) {
      fake.setTitle('live', title);
      const patch = await c1.next('patch');
      expect(patch.seq).toBe(seq + n + 1);
      expect(patch.patch).toMatchObject({ track: { text: title } });
    }
    await c0.next('patch');
    // Deployment 0's changes (one seq ahead) never reached deployment 1's follower: no extra snapshot.
    expect(c1.messages.filter((m) => m.type !== 'ping').map((m) => m.type)).toEqual(['snapshot', 'patch', 'patch']);
  });

  it('two upstreams read by two instances name a new station alike at once: one keeps the id, the other is qualified, everywhere', async () => {
    const one = await fakeStation({});
    const two = await fakeStation({});
    const options = { upstreams: [one.url, two.url], redisLeaseTtl: 3000 };
    // A reads `one` only (`two`'s lease is taken by nobody real), then B is given `two`.
    redis.cli('SET', `now-playing:lease:${two.statusUrl}`, 'nobody', 'PX', '60000');
    const logs = [captureLogs('warn'), captureLogs('warn')];
    const a = await instance(one, options, logs[0]!.logger);
    const b = await instance(one, options, logs[1]!.logger);
    redis.cli('SET', `now-playing:lease:${two.statusUrl}`, b.relay.scaleOut!.instance, 'PX', '60000');
    await waitFor(() => b.relay.scaleOut!.holds(two.statusUrl), 3000, 'B to read the second upstream');
    expect(a.relay.scaleOut!.holds(one.statusUrl)).toBe(true);

    // Both see a new /live while Redis holds every command: both name it `live`, both commits queue.
    expect(redis.cli('CLIENT', 'PAUSE', '600', 'ALL')).toBe('OK');
    one.setMount('live', { title: 'One - Song' });
    two.setMount('live', { title: 'Two - Song' });
    const ids = (relay: Relay) =>
      relay.stations
        .list()
        .map((s) => `${s.id} ${s.origin?.upstream} ${s.state.track?.text}`)
        .sort();
    await waitFor(() => a.relay.stations.size === 2 && JSON.stringify(ids(a.relay)) === JSON.stringify(ids(b.relay)), 10_000, 'both instances to agree');
    const [first, second] = ids(a.relay);
    expect(first).toMatch(/^live http:\/\/127\.0\.0\.1:\d+\/status-json\.xsl (One|Two) - Song$/);
    expect(second).toMatch(/^live@127\.0\.0\.1:\d+ http:\/\/127\.0\.0\.1:\d+\/status-json\.xsl (One|Two) - Song$/);
    // The loser's commit was refused by Redis (the id was taken), then it reloaded and qualified its id.
    const refusals = logs.flatMap((l) => l.lines()).filter((l) => l.msg === 'backplane write refused: reloading the stored state');
    expect(refusals.map((l) => l.result)).toEqual(['conflict']);
  });

  it('an instance adopts at most --max-stations-per-upstream stations from the others', async () => {
    const fake = await fakeStation({ '/one': { title: 'A - 1' }, '/two': { title: 'A - 2' }, '/three': { title: 'A - 3' } });
    const a = await instance(fake);
    const logs = captureLogs('warn');
    const b = await instance(fake, { maxStationsPerUpstream: 2 }, logs.logger);
    expect(a.relay.stations.size).toBe(3);
    expect(b.relay.stations.size).toBe(2);
    expect(logs.lines().map((l) => l.msg)).toContain('station limit reached: stations from other instances ignored');
  });
});

describe('without --redis', () => {
  it('runs alone: no scale-out, no redis on /healthz', async () => {
    const fake = await fakeStation();
    const relay = createRelay({ upstreams: [fake.url], host: '127.0.0.1', port: 0, ...FAST });
    await relay.start();
    onCleanup(() => relay.stop(500));
    expect(relay.scaleOut).toBeUndefined();
    const health = (await (await fetch(`${relay.url}/healthz`)).json()) as Healthz;
    expect(health.redis).toBeUndefined();
    expect(health.upstreams[0]).not.toHaveProperty('lease');
  });
});

describe('--redis flags', () => {
  it.each([
    [['--redis', 'http://localhost:6379'], '--redis: expected a URL such as redis://localhost:6379, got "http://localhost:6379"'],
    [['--redis', 'redis://:secret@'], '--redis: expected a URL such as redis://localhost:6379, got "redis://"'],
    [['--redis-lease-ttl', '100'], '--redis-lease-ttl: expected a whole number from 300 to 600000'],
  ])('%j is refused naming the flag (and never showing a password)', (args, message) => {
    expect(() => parseCli(['--upstream', 'http://h', ...args])).toThrow(message);
  });

  it('are read from the environment too', () => {
    const request = parseCli(['--upstream', 'http://h'], { NOW_PLAYING_REDIS: 'redis://r:6379/2', NOW_PLAYING_REDIS_LEASE_TTL: '5000' });
    expect(request).toMatchObject({ kind: 'run', config: { redis: 'redis://r:6379/2', redisLeaseTtl: 5000 } });
  });
});
