/**
 * Attack 5: an upstream that lists 1,000 never-seen mount names on every poll (found: 360k stations
 * and 576 MB in 40 s). Polled every 100 ms for 5 s, the relay must hold at most
 * `--max-stations-per-upstream` (default 100) stations throughout, stay small and quick, and log a
 * line per poll at most, not one per mount.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { assertRelayBuilt, baseline, cleanup, expectBounds, getJson, record, startFake, startMonitor, startRelay, summary } from './harness.js';

afterEach(cleanup);
beforeAll(assertRelayBuilt);

const ATTACK_MS = 5000;
const MAX_STATIONS = 100;
const PER_REQUEST = 1000;

describe('churning mounts', () => {
  it(`${PER_REQUEST} new mounts per poll: at most ${MAX_STATIONS} stations, bounded memory, one log line per poll at most`, async () => {
    const fake = await startFake();
    const relay = await startRelay(fake.url, ['--poll-interval', '100']);
    const base = await baseline(relay);
    const monitor = startMonitor(relay);
    const logsBefore = relay.logs.length;
    fake.resetStats();
    fake.setFault({ kind: 'churn-mounts', perRequest: PER_REQUEST });

    // Watch /stations throughout, not only at the end.
    const counts: number[] = [];
    let churned = false;
    const until = Date.now() + ATTACK_MS;
    while (Date.now() < until) {
      const { stations } = await getJson<{ stations: { id: string }[] }>(`${relay.url}/stations`);
      counts.push(stations.length);
      churned ||= stations.some((s) => s.id.startsWith('churn-'));
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const polls = fake.statusRequests;
    fake.setFault(null);
    const report = await monitor.stop();

    const lines = relay.logs.slice(logsBefore).filter((line) => /station/i.test(line.msg));
    const perMessage: Record<string, number> = {};
    for (const line of lines) perMessage[line.msg] = (perMessage[line.msg] ?? 0) + 1;
    const numbers = {
      polls,
      maxStations: Math.max(...counts),
      lastStations: counts.at(-1),
      stationLogLines: perMessage,
      droppedLogLines: relay.droppedLogLines,
      baselineMb: Number(base.rssMb.toFixed(1)),
      monitor: summary(report),
    };
    record('churning mounts', numbers);
    const text = JSON.stringify(numbers);

    expect(relay.alive(), relay.describe()).toBe(true);
    expect(polls, `the relay polled too rarely for this to mean anything: ${text}`).toBeGreaterThanOrEqual(10);
    expect(churned, `no churned mount ever became a station (fault not applied?): ${text}`).toBe(true);
    expect(Math.max(...counts), `more stations than --max-stations-per-upstream: ${text}`).toBeLessThanOrEqual(MAX_STATIONS);
    expect(perMessage['stations added'] ?? 0, `"stations added" never logged: ${text}`).toBeGreaterThan(0);
    for (const [message, count] of Object.entries(perMessage)) {
      // +1: a poll in flight when the fault was set or cleared.
      expect(count, `"${message}" logged more than once per poll: ${text}`).toBeLessThanOrEqual(polls + 1);
    }
    expectBounds(report, base.rssMb, { rssGrowthMb: 64, healthzMs: 500 });
  });
});
