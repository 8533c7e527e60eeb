/**
 * Attack 7: an upstream that redirects to itself (found: 21 requests per poll). The relay must see the
 * loop at the first repeated URL: at most 2 requests per poll, counted over several polls (a poll
 * is one more `consecutiveFailures` on /healthz), and /healthz names the reason briefly.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { assertRelayBuilt, baseline, cleanup, expectBounds, getJson, record, startFake, startMonitor, startRelay, summary, waitFor, type Health } from './harness.js';

afterEach(cleanup);
beforeAll(assertRelayBuilt);

const POLLS = 8;

describe('redirect to itself', () => {
  it.each([302, 301, 307, 308] as const)('HTTP %d to the same URL: at most 2 requests per poll; /healthz says redirect', async (status) => {
    const fake = await startFake();
    const relay = await startRelay(fake.url, ['--poll-interval', '100', '--max-backoff', '200']);
    const base = await baseline(relay);
    const monitor = startMonitor(relay);
    const failures = async () => (await getJson<Health>(relay.healthUrl)).upstreams[0]?.consecutiveFailures ?? 0;

    fake.setFault({ kind: 'redirect-self', status });
    // Start counting at a poll boundary, once the loop is established.
    await waitFor(async () => (await failures()) >= 2, 5000, 'the first failed polls');
    fake.resetStats();
    const from = await failures();
    await waitFor(async () => (await failures()) >= from + POLLS, 10_000, `${POLLS} more failed polls`);
    const polls = (await failures()) - from;
    const requests = fake.statusRequests;
    const health = await getJson<Health>(relay.healthUrl);
    const report = await monitor.stop();

    const upstream = health.upstreams[0]!;
    const numbers = { status, polls, requests, lastError: upstream.lastError, state: upstream.state, baselineMb: Number(base.rssMb.toFixed(1)), monitor: summary(report) };
    record(`redirect to itself (${status})`, numbers);
    const text = JSON.stringify(numbers);

    expect(relay.alive(), relay.describe()).toBe(true);
    // +1: a poll in flight at either end of the count.
    expect(requests, `more than 2 requests per poll: ${text}`).toBeLessThanOrEqual(2 * (polls + 1));
    expect(requests, `no request at all (fault not applied?): ${text}`).toBeGreaterThanOrEqual(polls);
    expect(upstream.state).toBe('failing');
    expect(upstream.lastError, text).toMatch(/redirect/i);
    expect(upstream.lastError!.length, `a short reason, not a dump: ${text}`).toBeLessThanOrEqual(80);
    expectBounds(report, base.rssMb, { rssGrowthMb: 64, healthzMs: 500 });
  });
});
