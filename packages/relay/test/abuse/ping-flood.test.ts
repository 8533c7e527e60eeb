/**
 * Attack 2: a client that reads floods `{"type":"ping"}` (found: 832k pongs in 5 s pushed /healthz
 * from 1 ms to 0.67 s). The relay must close it with 4429 "too many messages", answering only a
 * burst's worth of pongs, and stay small and quick. The attacker reconnects each time, for 3 s.
 */
import { CloseCode } from '@now-playing/protocol';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { assertRelayBuilt, baseline, cleanup, expectBounds, floodRepeatedly, record, startFake, startMonitor, startRelay, summary } from './harness.js';

afterEach(cleanup);
beforeAll(assertRelayBuilt);

const WINDOW_MS = 3000;
const MAX_ATTACKERS = 50;
const PER_ATTACKER_MS = 5000;
/** The default burst is 20 messages; the snapshot and a few pings/pongs in flight come on top. */
const MAX_FRAMES_PER_ATTACKER = 100;

describe('ping flood from a client that reads', () => {
  it('is closed with 4429 each time after a burst of pongs; RSS and /healthz stay bounded', async () => {
    const fake = await startFake();
    const relay = await startRelay(fake.url);
    const base = await baseline(relay);
    const monitor = startMonitor(relay);

    const results = await floodRepeatedly(relay.wsUrl('live'), {
      message: '{"type":"ping","id":"flood"}',
      read: true,
      maxMs: PER_ATTACKER_MS,
      windowMs: WINDOW_MS,
      maxAttackers: MAX_ATTACKERS,
    });
    const report = await monitor.stop();

    const numbers = {
      attackers: results.length,
      sent: results.map((r) => r.sent),
      received: results.map((r) => r.received),
      closes: [...new Set(results.map((r) => `${r.close?.code} ${r.close?.reason}`))],
      closedAfterMs: results.map((r) => r.ms),
      baselineMb: Number(base.rssMb.toFixed(1)),
      monitor: summary(report),
    };
    record('ping flood (reads)', numbers);
    expect(relay.alive(), relay.describe()).toBe(true);
    expect(results.length).toBeGreaterThanOrEqual(1);
    for (const result of results) {
      expect(result.endedBy, `an attacker was not closed within ${PER_ATTACKER_MS} ms: ${JSON.stringify(numbers)}`).toBe('relay');
      expect(result.close, JSON.stringify(numbers)).toEqual({ code: CloseCode.TooManyMessages, reason: 'too many messages' });
      expect(result.received, `the relay answered too much before closing: ${JSON.stringify(numbers)}`).toBeLessThanOrEqual(MAX_FRAMES_PER_ATTACKER);
    }
    expectBounds(report, base.rssMb, { rssGrowthMb: 64, healthzMs: 500 });
    expect(base.client.closeInfo, 'the well-behaved client was disconnected').toBeUndefined();
  });
});
