import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DelayQueue, MAX_WAITING } from '../src/delay-queue.js';

let shown: string[];
let queue: DelayQueue<string>;

beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 });
  shown = [];
  queue = new DelayQueue((value) => shown.push(`${value}@${Date.now() - 1_000_000}`));
});

afterEach(() => {
  queue.clear();
  vi.useRealTimers();
});

describe('DelayQueue', () => {
  it('shows a value when it is due, not a millisecond before', () => {
    queue.push('a', Date.now() + 2000);
    vi.advanceTimersByTime(1999);
    expect(shown).toEqual([]);
    expect(queue.waiting).toEqual(['a']);
    vi.advanceTimersByTime(1);
    expect(shown).toEqual(['a@2000']);
    expect(queue.waiting).toEqual([]);
  });

  it('shows a value that is already due at once, synchronously', () => {
    queue.push('now', Date.now());
    queue.push('past', Date.now() - 5);
    expect(shown).toEqual(['now@0', 'past@0']);
  });

  it('keeps order: a change queued behind another waits for it, even with a shorter delay', () => {
    queue.push('a', Date.now() + 2000);
    vi.advanceTimersByTime(500);
    queue.push('b', Date.now() + 2000); // due at 2500
    queue.push('c', Date.now() + 100); // due at 600, but after b
    vi.advanceTimersByTime(1499);
    expect(shown).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(shown).toEqual(['a@2000']);
    vi.advanceTimersByTime(499);
    expect(shown).toEqual(['a@2000']);
    vi.advanceTimersByTime(1);
    // b and c are due together (c was clamped to b's time): only the newest is shown.
    expect(shown).toEqual(['a@2000', 'c@2500']);
    expect(queue.waiting).toEqual([]);
  });

  it('a late timer (a throttled tab) shows only the newest value that is due, and keeps the rest waiting', () => {
    queue.push('a', Date.now() + 1000);
    queue.push('b', Date.now() + 2000);
    queue.push('c', Date.now() + 9000);
    // The clock moves 3 s without the timers running (a hidden tab), then the first timer fires
    // (its 1 s on top: 4 s after the start, when a and b are both due).
    vi.setSystemTime(Date.now() + 3000);
    vi.advanceTimersToNextTimer();
    expect(shown).toEqual(['b@4000']);
    expect(queue.waiting).toEqual(['c']);
    vi.advanceTimersByTime(4999);
    expect(shown).toEqual(['b@4000']);
    vi.advanceTimersByTime(1);
    expect(shown).toEqual(['b@4000', 'c@9000']);
  });

  it('flush shows the newest waiting value at once and forgets the others', () => {
    queue.push('a', Date.now() + 1000);
    queue.push('b', Date.now() + 2000);
    queue.flush();
    expect(shown).toEqual(['b@0']);
    expect(queue.waiting).toEqual([]);
    vi.advanceTimersByTime(5000);
    expect(shown).toEqual(['b@0']); // no timer left behind
    queue.flush();
    expect(shown).toEqual(['b@0']); // nothing waiting: nothing shown
  });

  it('clear forgets everything without showing it', () => {
    queue.push('a', Date.now() + 1000);
    queue.clear();
    vi.advanceTimersByTime(5000);
    expect(shown).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it(`holds at most ${MAX_WAITING} values: a further one drops the oldest waiting`, () => {
    for (let i = 0; i <= MAX_WAITING; i++) queue.push(`v${i}`, Date.now() + 1000 + i);
    expect(queue.waiting).toHaveLength(MAX_WAITING);
    expect(queue.waiting[0]).toBe('v1');
    vi.advanceTimersByTime(1000);
    expect(shown).toEqual([]); // v0 was dropped, v1 is due at 1001
    vi.advanceTimersByTime(1 + MAX_WAITING);
    expect(shown.at(-1)).toBe(`v${MAX_WAITING}@${1000 + MAX_WAITING}`);
    expect(shown).not.toContain('v0@1000');
  });

  it('keeps one timer whatever the number of waiting values', () => {
    for (let i = 0; i < 5; i++) queue.push(`v${i}`, Date.now() + 1000 * (i + 1));
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(1000);
    expect(vi.getTimerCount()).toBe(1);
    expect(shown).toEqual(['v0@1000']);
  });
});
