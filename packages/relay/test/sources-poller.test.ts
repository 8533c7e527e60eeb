import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Poller } from '../src/sources/poller.js';

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

/** A task whose runs the test settles by hand, recording when each started. */
function controlledTask() {
  const starts: number[] = [];
  const pending: ((ok: boolean) => void)[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const task = () =>
    new Promise<boolean>((resolve) => {
      starts.push(Date.now());
      maxInFlight = Math.max(maxInFlight, ++inFlight);
      pending.push((ok) => {
        inFlight--;
        resolve(ok);
      });
    });
  return { task, starts, settle: (ok: boolean) => pending.shift()!(ok), maxInFlight: () => maxInFlight };
}

describe('Poller', () => {
  it('runs once per interval, start to start', async () => {
    const t = controlledTask();
    const poller = new Poller({ interval: 1000, maxBackoff: 8000, task: t.task });
    poller.start();
    for (let i = 0; i < 3; i++) {
      await vi.advanceTimersByTimeAsync(300);
      t.settle(true);
      await vi.advanceTimersByTimeAsync(700);
    }
    expect(t.starts.map((s) => s - t.starts[0]!)).toEqual([0, 1000, 2000, 3000]);
    t.settle(true);
    await poller.stop();
  });

  it('never starts a run while one is in flight, however slow', async () => {
    const t = controlledTask();
    const poller = new Poller({ interval: 100, maxBackoff: 1000, task: t.task });
    poller.start();
    await vi.advanceTimersByTimeAsync(5000);
    expect(t.starts).toHaveLength(1);
    t.settle(true); // took 5 s: the next run starts at once
    await vi.advanceTimersByTimeAsync(0);
    expect(t.starts).toHaveLength(2);
    expect(t.maxInFlight()).toBe(1);
    t.settle(true);
    await poller.stop();
  });

  it('backs off exponentially while failing, capped, and returns to the interval on success', async () => {
    const outcomes = [false, false, false, false, false, true, true];
    const starts: number[] = [];
    // Each run settles the moment it starts, so start-to-start gaps are exactly the delays.
    const task = async () => {
      starts.push(Date.now());
      return outcomes.shift() ?? true;
    };
    const poller = new Poller({ interval: 1000, maxBackoff: 4000, task, random: () => 0.5 });
    poller.start();
    await vi.advanceTimersByTimeAsync(20_000);
    await poller.stop();
    const gaps = starts.slice(1, 7).map((s, i) => s - starts[i]!);
    // failures 1..5 → 1000 (the first retry keeps the interval), 2000, 4000, 4000 (capped), 4000;
    // then a success → back to the interval.
    expect(gaps).toEqual([1000, 2000, 4000, 4000, 4000, 1000]);
    expect(poller.failures).toBe(0);
  });

  it.each([
    ['random = 0 (jitter -20%)', 0, [1000, 1600, 3200, 3200, 3200]],
    ['random → 1 (jitter +20%; setTimeout truncates 2399.99…)', 0.999_999, [1000, 2399, 4000, 4000, 4000]],
  ])('the jittered wait never exceeds max-backoff: %s', async (_name, r, expected) => {
    const starts: number[] = [];
    const task = async () => {
      starts.push(Date.now());
      return false;
    };
    const poller = new Poller({ interval: 1000, maxBackoff: 4000, task, random: () => r });
    poller.start();
    await vi.advanceTimersByTimeAsync(16_000);
    await poller.stop();
    const gaps = starts.slice(1, 6).map((s, i) => Math.round(s - starts[i]!));
    // Before the fix, jitter was applied after the cap: random → 1 gave waits of 4800 (1.2 × the cap).
    expect(gaps).toEqual(expected);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(4000);
  });

  it('stop aborts the run in flight and schedules nothing more', async () => {
    let signal: AbortSignal | undefined;
    let runs = 0;
    const poller = new Poller({
      interval: 100,
      maxBackoff: 100,
      task: (s) => {
        runs++;
        signal = s;
        return new Promise((resolve) => s.addEventListener('abort', () => resolve(false)));
      },
    });
    poller.start();
    await poller.stop();
    expect(signal?.aborted).toBe(true);
    await vi.advanceTimersByTimeAsync(1000);
    expect(runs).toBe(1);
  });
});
