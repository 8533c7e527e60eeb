/**
 * Attack 1: a client floods `{"type":"resync"}` and never reads, so every snapshot it asks for piles
 * up in the relay (found: 73 MB → 1.5 GB in 14 s, then the event loop stopped for 36–45 s). The relay
 * must cut such a client off (4429 at the rate limit, or terminate it when its send queue passes
 * 1 MiB), stay small and responsive, and keep serving everyone else. The attacker reconnects each
 * time it is cut off, for 4 s. The attacker does not read, so it cannot see the close code: it sees
 * its connection end.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { assertRelayBuilt, baseline, cleanup, expectBounds, floodRepeatedly, record, startFake, startMonitor, startRelay, summary } from './harness.js';

afterEach(cleanup);
beforeAll(assertRelayBuilt);

const WINDOW_MS = 4000;
const MAX_ATTACKERS = 50;
/** One attacker must be cut off well within this. */
const PER_ATTACKER_MS = 5000;

describe('resync flood from a client that never reads', () => {
  // Two independent defences. With default settings the message rate limit cuts the attacker off.
  // With the rate limit raised out of the way, the 1 MiB send queue cap must (the log proves which
  // fired); the relay then does all the work the attacker asks for, so the latency bound there is
  // about not freezing (found: 36–45 s) rather than staying quick.
  it.each([
    { defence: 'the message rate limit', flags: [], healthzMs: 500, proof: undefined },
    {
      defence: 'the send queue cap',
      flags: ['--client-message-rate', '10000', '--client-message-burst', '100000', '--log-level', 'debug'],
      healthzMs: 1000,
      proof: 'send queue over the limit',
    },
  ])('$defence cuts it off each time; RSS and /healthz stay bounded; a well-behaved client still gets its patch', async ({ defence, flags, healthzMs, proof }) => {
    const fake = await startFake();
    const relay = await startRelay(fake.url, ['--poll-interval', '200', ...flags]);
    const base = await baseline(relay);
    const monitor = startMonitor(relay);

    let attackStarted!: () => void;
    const started = new Promise<void>((resolve) => (attackStarted = resolve));
    const attack = floodRepeatedly(relay.wsUrl('live'), {
      message: '{"type":"resync"}',
      read: false,
      maxMs: PER_ATTACKER_MS,
      windowMs: WINDOW_MS,
      maxAttackers: MAX_ATTACKERS,
      onFirstBatch: attackStarted,
    });
    attack.catch(() => {}); // awaited below; this only keeps an early failure from going unhandled
    await started;
    const changedAt = Date.now();
    fake.setTitle('live', 'Abuse - During resync flood');
    await base.client.next('patch', 5000, (m) => JSON.stringify(m).includes('During resync flood'));
    const patchMs = Date.now() - changedAt;
    const results = await attack;
    const report = await monitor.stop();

    const numbers = {
      attackers: results.length,
      sent: results.map((r) => r.sent),
      cutOffAfterMs: results.map((r) => r.ms),
      endedBy: [...new Set(results.map((r) => r.endedBy))],
      patchMs,
      dropReasons: [...new Set(relay.logs.filter((l) => l.msg === 'client dropped').map((l) => l.reason))],
      baselineMb: Number(base.rssMb.toFixed(1)),
      monitor: summary(report),
    };
    record(`resync flood (never reads), ${defence}`, numbers);
    expect(relay.alive(), relay.describe()).toBe(true);
    expect(results.length).toBeGreaterThanOrEqual(1);
    for (const result of results) {
      expect(result.endedBy, `an attacker was not cut off within ${PER_ATTACKER_MS} ms: ${JSON.stringify(numbers)}`).toBe('relay');
    }
    if (proof) expect(numbers.dropReasons, `the relay never dropped a client for "${proof}"`).toContain(proof);
    expectBounds(report, base.rssMb, { rssGrowthMb: 64, healthzMs });
    expect(base.client.closeInfo, 'the well-behaved client was disconnected').toBeUndefined();
  });
});
