/** The Redis backplane and the lease against a real redis-server: fencing, seq continuity, data loss, takeover. */
import type { NowPlaying } from '@now-playing/protocol';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Backplane, BackplaneMessage, BackplaneState, ChangeMessage, StationRecord } from '../src/scale/backplane.js';
import { MAX_BACKPLANE_MESSAGE_BYTES } from '../src/scale/backplane-messages.js';
import { Lease } from '../src/scale/lease.js';
import { RedisBackplane } from '../src/scale/redis-backplane.js';
import { startFakeIcecast } from '@now-playing/fake-icecast';
import { DEFAULTS, parseUpstream } from '../src/config.js';
import { Hub } from '../src/hub.js';
import { ScaleOut } from '../src/scale/scale-out.js';
import { createSource } from '../src/sources/create-source.js';
import { Stations } from '../src/stations.js';
import { Upstream } from '../src/upstream.js';
import { captureLogs, waitFor } from './helpers.js';
import { startRedisServer, type RedisServer } from './redis-server.js';

const UPSTREAM = 'http://127.0.0.1:1/status-json.xsl';

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(async () => {
  await redis?.stop();
});

const opened: RedisBackplane[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((b) => b.close()));
  redis.cli('FLUSHALL');
});

/** A started backplane and what it received. */
async function backplane(commandTimeout = 1000): Promise<{ backplane: RedisBackplane; messages: BackplaneMessage[]; states: BackplaneState[] }> {
  const messages: BackplaneMessage[] = [];
  const states: BackplaneState[] = [];
  const b = new RedisBackplane({ url: redis.url, connectionName: 'test', commandTimeout, log: captureLogs('silent').logger });
  opened.push(b);
  b.start({ state: (s) => states.push(s), message: (m) => messages.push(m) });
  await waitFor(() => b.state === 'ready', 5000, 'backplane ready');
  return { backplane: b, messages, states };
}

function state(title: string): NowPlaying {
  return { station: { id: 'live' }, online: true, stale: false, track: { text: title }, history: {} };
}

function change(from: string, seq: number, title: string, incarnation = 'one'): ChangeMessage {
  const record: StationRecord = { id: 'live', mount: '/live', incarnation, seq, state: state(title) };
  return { kind: 'change', from, upstream: UPSTREAM, record, patch: { track: { text: title } } };
}

describe('RedisBackplane', () => {
  it('commits only for the lease holder and only the next seq; every instance receives each commit once', async () => {
    const a = await backplane();
    const b = await backplane();
    expect((await a.backplane.claim(UPSTREAM, 'A', 5000, '{}')).held).toBe(true);
    const taken = await b.backplane.claim(UPSTREAM, 'B', 5000, '{"state":"ok"}');
    expect(taken).toEqual({ held: false, holder: 'A', health: '{}' });

    expect(await b.backplane.commit(UPSTREAM, 'B', change('B', 2, 'Not the holder'))).toBe('not-holder');
    expect(await a.backplane.commit(UPSTREAM, 'A', change('A', 2, 'First'))).toBe('ok');
    expect(await a.backplane.commit(UPSTREAM, 'A', change('A', 2, 'Repeat'))).toBe('conflict');
    expect(await a.backplane.commit(UPSTREAM, 'A', change('A', 4, 'Gap'))).toBe('conflict');
    expect(await a.backplane.commit(UPSTREAM, 'A', change('A', 9, 'Another life', 'two'))).toBe('conflict');
    expect(await a.backplane.commit(UPSTREAM, 'A', change('A', 3, 'Second'))).toBe('ok');

    await waitFor(() => b.messages.length === 2, 3000, 'two messages');
    expect(b.messages.map((m) => m.kind === 'change' && [m.record.seq, m.record.state.track?.text])).toEqual([
      [2, 'First'],
      [3, 'Second'],
    ]);
    const stored = await b.backplane.load(UPSTREAM);
    expect(stored.map((r) => [r.seq, r.state.track?.text])).toEqual([[3, 'Second']]);
  });

  it('a released lease is free at once; a lease nobody renews expires', async () => {
    const a = await backplane();
    expect((await a.backplane.claim(UPSTREAM, 'A', 300, '{}')).held).toBe(true);
    await a.backplane.release(UPSTREAM, 'B'); // not B's: nothing happens
    expect((await a.backplane.claim(UPSTREAM, 'B', 300, '{}')).held).toBe(false);
    await a.backplane.release(UPSTREAM, 'A');
    expect((await a.backplane.claim(UPSTREAM, 'B', 300, '{}')).held).toBe(true);
    await waitFor(() => redis.cli('EXISTS', `now-playing:lease:${UPSTREAM}`) === '0', 3000, 'the lease to expire');
    expect((await a.backplane.claim(UPSTREAM, 'A', 300, '{}')).held).toBe(true);
  });

  it('removal is fenced and published; seed restores only what is missing or older', async () => {
    const a = await backplane();
    await a.backplane.claim(UPSTREAM, 'A', 5000, '{}');
    await a.backplane.commit(UPSTREAM, 'A', change('A', 2, 'First'));
    const removal = { kind: 'removed', from: 'B', upstream: UPSTREAM, id: 'live', mount: '/live', incarnation: 'one', reason: 'gone' } as const;
    expect(await a.backplane.remove(UPSTREAM, 'B', removal)).toBe('not-holder');
    expect(await a.backplane.remove(UPSTREAM, 'A', { ...removal, from: 'A', incarnation: 'two' })).toBe('conflict');
    expect(await a.backplane.remove(UPSTREAM, 'A', { ...removal, from: 'A' })).toBe('ok');
    expect(await a.backplane.load(UPSTREAM)).toEqual([]);
    await waitFor(() => a.messages.some((m) => m.kind === 'removed'), 3000, 'the removal');

    const record = change('A', 5, 'Seeded').record;
    expect(await a.backplane.seed(UPSTREAM, record)).toBe(true);
    expect(await a.backplane.seed(UPSTREAM, { ...record, seq: 4 })).toBe(false);
    expect(await a.backplane.seed(UPSTREAM, { ...record, seq: 9, incarnation: 'other' })).toBe(false);
    expect(await a.backplane.seed(UPSTREAM, { ...record, seq: 6 })).toBe(true);
    expect((await a.backplane.load(UPSTREAM)).map((r) => r.seq)).toEqual([6]);
  });

  it('the epoch changes when Redis loses its data', async () => {
    const a = await backplane();
    const first = await a.backplane.epoch();
    expect(await a.backplane.epoch()).toBe(first);
    redis.cli('FLUSHALL');
    expect(await a.backplane.epoch()).not.toBe(first);
  });

  it('drops malformed, foreign and oversized messages and stored records without throwing', async () => {
    const logs = captureLogs('warn');
    const b = new RedisBackplane({ url: redis.url, connectionName: 'test', commandTimeout: 1000, log: logs.logger });
    opened.push(b);
    const messages: BackplaneMessage[] = [];
    b.start({ state: () => {}, message: (m) => messages.push(m) });
    await waitFor(() => b.state === 'ready', 5000, 'backplane ready');
    const good = JSON.stringify(change('X', 2, 'Good'));
    for (const bad of ['not json', '[]', '{"kind":"change"}', JSON.stringify({ ...change('X', 2, 'x'), record: { id: 'live' } }), 'x'.repeat(MAX_BACKPLANE_MESSAGE_BYTES + 1)]) {
      redis.cliWithInput(bad, 'PUBLISH', 'now-playing:changes:0');
    }
    redis.cli('PUBLISH', 'now-playing:changes:0', good);
    await waitFor(() => messages.length === 1, 3000, 'the good message');
    expect(messages[0]).toMatchObject({ kind: 'change', record: { seq: 2 } });
    expect(logs.lines().filter((l) => l.msg === 'backplane message ignored')).toHaveLength(5);

    redis.cli('HSET', `now-playing:stations:${UPSTREAM}`, '/bad', '{"id":1}');
    redis.cli('HSET', `now-playing:stations:${UPSTREAM}`, '/live', JSON.stringify(change('X', 2, 'Good').record));
    expect((await b.load(UPSTREAM)).map((r) => r.mount)).toEqual(['/live']);
  });

  it('reports a lost connection once and reconnects by itself when Redis is back', async () => {
    const logs = captureLogs('info');
    const b = new RedisBackplane({ url: redis.url, connectionName: 'test', commandTimeout: 1000, log: logs.logger });
    opened.push(b);
    const states: BackplaneState[] = [];
    const messages: BackplaneMessage[] = [];
    b.start({ state: (s) => states.push(s), message: (m) => messages.push(m) });
    await waitFor(() => b.state === 'ready', 5000, 'backplane ready');
    await redis.restart();
    await waitFor(() => states.length >= 3 && b.state === 'ready', 10_000, 'reconnected');
    expect(states).toEqual(['ready', 'reconnecting', 'ready']);
    expect(logs.lines().filter((l) => l.level === 40).map((l) => l.msg)).toEqual(['redis connection lost: serving the last known state, reconnecting']);
    // Subscribed again: a message published now arrives.
    redis.cli('PUBLISH', 'now-playing:changes:0', JSON.stringify(change('X', 2, 'After')));
    await waitFor(() => messages.length === 1, 3000, 'a message after the restart');
  });
});

describe('Lease', () => {
  it('one holder at a time; a holder that stops renewing is replaced within about a TTL and a third', async () => {
    const { backplane: store } = await backplane();
    const log = captureLogs('silent').logger;
    const ttl = 600;
    const events: string[] = [];
    const gauge: string[] = [];
    const make = (instance: string) =>
      new Lease({
        store,
        upstream: UPSTREAM,
        instance,
        ttl,
        health: () => JSON.stringify({ state: 'ok', by: instance }),
        won: async () => void events.push(`${instance} won`),
        lost: async (reason) => void events.push(`${instance} lost: ${reason}`),
        changed: (held) => void gauge.push(`${instance}=${held ? 1 : 0}`),
        log,
      });
    const a = make('A');
    const b = make('B');
    await a.resume();
    await b.resume();
    expect([a.held, b.held]).toEqual([true, false]);
    expect(b.holder).toBe('A');
    expect(JSON.parse(b.holderHealth!)).toEqual({ state: 'ok', by: 'A' });

    // A stops renewing (as if its process froze); its key expires; B claims it.
    a.pause('frozen');
    // Expected after about ttl + ttl/3; the wait's own bound is the test's limit.
    await waitFor(() => b.held, 3 * ttl, 'B to take over');
    expect(events).toEqual(['A won', 'A lost: frozen', 'B won']);
    expect(gauge).toEqual(['A=1', 'A=0', 'B=1']);
    await b.stop();
    expect(events.at(-1)).toBe('B lost: shutting down');
    expect(redis.cli('EXISTS', `now-playing:lease:${UPSTREAM}`)).toBe('0');
  });

  it('a holder whose renewals time out (Redis frozen) stops reading before its lease can expire', async () => {
    const ttl = 600;
    const { backplane: store } = await backplane(ttl / 3);
    const events: string[] = [];
    const lease = new Lease({
      store,
      upstream: UPSTREAM,
      instance: 'A',
      ttl,
      health: () => '{}',
      won: async () => void events.push('won'),
      lost: async (reason) => void events.push(`lost: ${reason}`),
      log: captureLogs('silent').logger,
    });
    await lease.resume();
    expect(lease.held).toBe(true);
    const frozen = redis.freeze(2 * ttl);
    await waitFor(() => !lease.held, 2 * ttl, 'the lease to be given up');
    expect(events).toEqual(['won', 'lost: lease not renewed in time']);
    await frozen;
    // Redis answers again: the lease (expired or still ours) is claimed back.
    await waitFor(() => lease.held, 3 * ttl, 'the lease to be claimed again');
    expect(events.at(-1)).toBe('won');
    await lease.stop();
  });
});

describe('ScaleOut', () => {
  it('a sync that fails while connected (a command timed out) is retried, and reading starts', async () => {
    const fake = await startFakeIcecast({ mounts: { '/live': { title: 'Artist - Title' } } });
    const logs = captureLogs('warn');
    const real = new RedisBackplane({ url: redis.url, connectionName: 'test', commandTimeout: 200, log: logs.logger });
    opened.push(real);
    // The real backplane, except that its first epoch() fails as a timed-out command would.
    let failures = 1;
    const flaky: Backplane = {
      get state() {
        return real.state;
      },
      start: (events) => real.start(events),
      close: () => real.close(),
      epoch: () => (failures-- > 0 ? Promise.reject(new Error('Command timed out')) : real.epoch()),
      load: (upstream) => real.load(upstream),
      seed: (upstream, record) => real.seed(upstream, record),
      commit: (upstream, instance, message) => real.commit(upstream, instance, message),
      remove: (upstream, instance, message) => real.remove(upstream, instance, message),
      claim: (upstream, instance, ttl, health) => real.claim(upstream, instance, ttl, health),
      release: (upstream, instance) => real.release(upstream, instance),
    };
    const hub = new Hub();
    const stations = new Stations({ historyLength: 10, heartbeat: 1000, publish: (patch) => scale.publish(patch), removed: () => {} });
    const config = { ...DEFAULTS, pollInterval: 100, requestTimeout: 300 };
    const spec = parseUpstream(fake.url);
    const upstream = new Upstream(spec, createSource(spec, config, logs.logger), stations, { maxStations: 100, evictOfflineAfter: 60_000 }, logs.logger);
    const scale: ScaleOut = new ScaleOut({ backplane: flaky, instance: 'T', leaseTtl: 600, stations, hub, upstreams: [upstream], maxStationsPerUpstream: 100, startTimeout: 5000, log: logs.logger });
    await scale.start();
    await waitFor(() => scale.holds(spec.url) && stations.get('live')?.state.track?.text === 'Artist - Title', 5000, 'reading after the retry');
    expect(logs.lines().map((l) => l.msg)).toContain('backplane sync failed: retrying');
    await scale.stop();
    await fake.close();
  });
});
