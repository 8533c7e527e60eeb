/**
 * Attack 3: more WebSocket connections than `--max-connections`. Exactly the limit get in; the rest
 * are told 1013 ("try again later", reason mentions full) and let go; while full, 2 s of further
 * attempts are all refused and `/healthz` keeps answering; freed places are given to new clients.
 */
import { CloseCode } from '@now-playing/protocol';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { assertRelayBuilt, baseline, cleanup, expectBounds, getJson, httpGet, record, startFake, startMonitor, startRelay, summary, waitFor, WsClient, type CloseInfo, type Health } from './harness.js';

afterEach(cleanup);
beforeAll(assertRelayBuilt);

const LIMIT = 50;
const CLIENTS = 80;
const FREED = 10;
/** While full, this many clients at a time keep trying to connect, for KNOCK_MS (at most MAX_KNOCKS tries). */
const KNOCKERS = 20;
const KNOCK_MS = 2000;
const MAX_KNOCKS = 2000;

/** Open `count` clients at once and wait for each one's outcome: a snapshot, or a close. */
async function openMany(url: string, count: number): Promise<{ clients: WsClient[]; outcomes: ('snapshot' | CloseInfo | 'timeout')[] }> {
  const clients = Array.from({ length: count }, () => new WsClient(url));
  const outcomes = await Promise.all(clients.map((client) => client.outcome(10_000)));
  return { clients, outcomes };
}

const tally = (outcomes: ('snapshot' | CloseInfo | 'timeout')[]) =>
  outcomes.reduce<Record<string, number>>((counts, o) => {
    const key = typeof o === 'string' ? o : `${o.code} ${o.reason}`;
    counts[key] = (counts[key] ?? 0) + 1;
    return counts;
  }, {});

describe('connection flood', () => {
  it(`--max-connections ${LIMIT}: ${CLIENTS} clients → ${LIMIT} served, the rest closed 1013; freed places are reused`, async () => {
    const fake = await startFake();
    const relay = await startRelay(fake.url, ['--max-connections', String(LIMIT)]);
    const base = await baseline(relay);
    // The baseline client holds a place: let it go, so the numbers below are the flood's alone.
    base.client.close();
    await waitFor(async () => (await getJson<Health>(relay.healthUrl)).clients === 0, 5000, 'the baseline client to be released');
    const monitor = startMonitor(relay);

    const first = await openMany(relay.wsUrl('live'), CLIENTS);
    const counts = tally(first.outcomes);
    const admitted = first.clients.filter((_, i) => first.outcomes[i] === 'snapshot');
    const refused = first.outcomes.filter((o): o is CloseInfo => typeof o === 'object');
    expect(admitted.length, JSON.stringify(counts)).toBe(LIMIT);
    expect(refused.length, JSON.stringify(counts)).toBe(CLIENTS - LIMIT);
    for (const close of refused) {
      expect(close.code).toBe(CloseCode.RelayFull);
      expect(close.reason).toMatch(/full/i);
    }
    // Full, and still answering HTTP.
    const health = await httpGet(relay.healthUrl);
    expect(health.status).toBe(200);
    expect((JSON.parse(health.body) as Health).clients).toBe(LIMIT);

    // Keep knocking while full: every attempt is refused, none is left hanging.
    const knocks: Record<string, number> = {};
    const knockUntil = Date.now() + KNOCK_MS;
    let attempts = 0;
    const knocker = async () => {
      while (Date.now() < knockUntil && attempts < MAX_KNOCKS) {
        attempts++;
        const client = new WsClient(relay.wsUrl('live'));
        const outcome = await client.outcome(5000);
        client.ws.terminate();
        const key = typeof outcome === 'string' ? outcome : outcome.code === 1006 ? `1006 ${client.error}` : `${outcome.code} ${outcome.reason}`;
        knocks[key] = (knocks[key] ?? 0) + 1;
      }
    };
    await Promise.all(Array.from({ length: KNOCKERS }, knocker));
    for (const key of Object.keys(knocks)) {
      // 1013 while fewer than 256 refusals are in progress; past that, the relay answers a bare 503.
      expect(key, `an attempt on the full relay: ${JSON.stringify(knocks)}`).toMatch(/^(1013 relay full|1006 Unexpected server response: 503)/);
    }
    expect((await getJson<Health>(relay.healthUrl)).clients, 'a knock took a place').toBe(LIMIT);

    for (const client of admitted.slice(0, FREED)) client.close();
    await waitFor(async () => (await getJson<Health>(relay.healthUrl)).clients === LIMIT - FREED, 5000, `${FREED} places to be freed`);
    const second = await openMany(relay.wsUrl('live'), FREED + 1);
    const secondCounts = tally(second.outcomes);
    expect(secondCounts, `after freeing ${FREED} places`).toEqual({ snapshot: FREED, [`${CloseCode.RelayFull} ${refused[0]?.reason}`]: 1 });

    const report = await monitor.stop();
    record('connection flood', { limit: LIMIT, first: counts, knocksWhileFull: knocks, afterFreeing: secondCounts, baselineMb: Number(base.rssMb.toFixed(1)), monitor: summary(report) });
    expect(relay.alive(), relay.describe()).toBe(true);
    expectBounds(report, base.rssMb, { rssGrowthMb: 64, healthzMs: 500 });
  });
});
