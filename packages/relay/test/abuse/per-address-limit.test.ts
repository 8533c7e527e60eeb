/**
 * Attack 4: many connections from one address. With `--max-connections-per-ip 5` the 6th is closed
 * with 4403. Behind a trusted proxy (`--trust-proxy 127.0.0.1`) each `X-Forwarded-For` address gets
 * its own 5; from an untrusted peer the header is ignored (everything counts as 127.0.0.1).
 * While it runs, an address keeps trying past its limit for 2 s: all refused, /healthz quick.
 */
import { CloseCode } from '@now-playing/protocol';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { assertRelayBuilt, baseline, cleanup, expectBounds, getJson, record, startFake, startMonitor, startRelay, summary, waitFor, WsClient, type CloseInfo, type Health, type RelayProcess } from './harness.js';

afterEach(cleanup);
beforeAll(assertRelayBuilt);

const PER_IP = 5;
const KNOCK_MS = 2000;
const MAX_KNOCKS = 1000;
const KNOCKERS = 10;

type Outcome = 'snapshot' | CloseInfo | 'timeout';
const describeOutcome = (o: Outcome) => (typeof o === 'string' ? o : `${o.code} ${o.reason}`);

/** Open one client "from" `forwardedFor` (sent as X-Forwarded-For when given) and wait for its outcome. */
async function connectAs(relay: RelayProcess, forwardedFor?: string): Promise<{ client: WsClient; outcome: Outcome }> {
  const client = new WsClient(relay.wsUrl('live'), forwardedFor ? { headers: { 'X-Forwarded-For': forwardedFor } } : {});
  return { client, outcome: await client.outcome(5000) };
}

/** Open `count` clients one after another (so which ones get in is well defined). */
async function connectMany(relay: RelayProcess, count: number, forwardedFor?: string): Promise<string[]> {
  const outcomes: string[] = [];
  for (let i = 0; i < count; i++) outcomes.push(describeOutcome((await connectAs(relay, forwardedFor)).outcome));
  return outcomes;
}

const served = (n: number) => Array<string>(n).fill('snapshot');
const REFUSED = `${CloseCode.TooManyConnectionsFromAddress} too many connections from your address`;

/** A relay with one baseline client from 127.0.0.1 released again, so every place is free. */
async function relayWith(flags: string[]) {
  const fake = await startFake();
  const relay = await startRelay(fake.url, ['--max-connections-per-ip', String(PER_IP), ...flags]);
  const base = await baseline(relay);
  base.client.close();
  await waitFor(async () => (await getJson<Health>(relay.healthUrl)).clients === 0, 5000, 'the baseline client to be released');
  return { relay, baselineMb: base.rssMb };
}

/** For KNOCK_MS, keep connecting as `forwardedFor`: every attempt must be refused with 4403. */
async function knock(relay: RelayProcess, forwardedFor?: string): Promise<Record<string, number>> {
  const knocks: Record<string, number> = {};
  const until = Date.now() + KNOCK_MS;
  let attempts = 0;
  const knocker = async () => {
    while (Date.now() < until && attempts < MAX_KNOCKS) {
      attempts++;
      const { client, outcome } = await connectAs(relay, forwardedFor);
      client.ws.terminate();
      const key = describeOutcome(outcome);
      knocks[key] = (knocks[key] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: KNOCKERS }, knocker));
  return knocks;
}

describe(`--max-connections-per-ip ${PER_IP}`, () => {
  it('the 6th connection from 127.0.0.1 is closed with 4403, and so is every further try', async () => {
    const { relay, baselineMb } = await relayWith([]);
    const monitor = startMonitor(relay);
    expect(await connectMany(relay, PER_IP + 1)).toEqual([...served(PER_IP), REFUSED]);
    const knocks = await knock(relay);
    const report = await monitor.stop();
    record('per-address limit', { knocks, baselineMb: Number(baselineMb.toFixed(1)), monitor: summary(report) });
    expect(knocks).toEqual({ [REFUSED]: expect.any(Number) });
    expect((await getJson<Health>(relay.healthUrl)).clients).toBe(PER_IP);
    expectBounds(report, baselineMb, { rssGrowthMb: 64, healthzMs: 500 });
  });

  it('with --trust-proxy 127.0.0.1, each X-Forwarded-For address gets its own 5', async () => {
    const { relay, baselineMb } = await relayWith(['--trust-proxy', '127.0.0.1']);
    const monitor = startMonitor(relay);
    expect(await connectMany(relay, PER_IP + 1, '203.0.113.7'), '203.0.113.7').toEqual([...served(PER_IP), REFUSED]);
    expect(await connectMany(relay, PER_IP + 1, '198.51.100.9'), '198.51.100.9').toEqual([...served(PER_IP), REFUSED]);
    // The proxy itself (no header) is one more address with its own places.
    expect(await connectMany(relay, 1), 'the proxy without a header').toEqual(served(1));
    const knocks = await knock(relay, '203.0.113.7');
    const report = await monitor.stop();
    record('per-address limit behind a trusted proxy', { knocks, baselineMb: Number(baselineMb.toFixed(1)), monitor: summary(report) });
    expect(knocks).toEqual({ [REFUSED]: expect.any(Number) });
    expect((await getJson<Health>(relay.healthUrl)).clients).toBe(2 * PER_IP + 1);
    expectBounds(report, baselineMb, { rssGrowthMb: 64, healthzMs: 500 });
  });

  it('without --trust-proxy, X-Forwarded-For is ignored: every header counts as 127.0.0.1', async () => {
    const { relay } = await relayWith([]);
    const first = await connectMany(relay, 3, '203.0.113.7');
    const second = await connectMany(relay, 3, '198.51.100.9');
    expect([...first, ...second]).toEqual([...served(PER_IP), REFUSED]);
  });
});
