import { apply, historyList, type NowPlaying } from '@now-playing/protocol';
import { describe, expect, it } from 'vitest';
import { MAX_HISTORY_BYTES, Station } from '../src/station.js';

function clock() {
  let t = Date.parse('2026-11-24T21:00:00Z');
  return { now: () => new Date(t), advance: (s: number) => (t += s * 1000) };
}

describe('Station', () => {
  it('each change is one patch with the next seq that turns the old state into the new one', () => {
    const c = clock();
    const station = new Station('live', { historyLength: 10, heartbeat: 1000, now: c.now });
    let mirror = station.state as unknown as NowPlaying;
    let seq = station.seq;
    const step = (patch: ReturnType<Station['applyReading']>) => {
      expect(patch).toBeDefined();
      expect(patch!.seq).toBe(++seq);
      mirror = apply(mirror, patch!.patch);
      expect(mirror).toEqual(station.state);
    };
    step(station.applyReading({ mount: '/live', name: 'Live', title: 'A - One', listeners: 1 }));
    expect(station.applyReading({ mount: '/live', name: 'Live', title: 'A - One', listeners: 1 })).toBeUndefined();
    step(station.applyReading({ mount: '/live', name: 'Live', title: 'A - One', listeners: 2 }));
    c.advance(180);
    step(station.applyReading({ mount: '/live', name: 'Live', title: 'B - Two', listeners: 2 }));
    step(station.markStale('timeout'));
    expect(station.markStale('timeout')).toBeUndefined();
    step(station.markOffline());
    expect(station.state.stale).toBe(false);
    expect(station.state.listeners).toBeUndefined();
  });

  it('a listener-count change patches only the listener count', () => {
    const station = new Station('live', { historyLength: 10, heartbeat: 1000 });
    station.applyReading({ mount: '/live', title: 'A - One', listeners: 1 });
    expect(station.applyReading({ mount: '/live', title: 'A - One', listeners: 5 })?.patch).toEqual({ listeners: 5 });
  });

  it('keeps history, most recent first, bounded, with start times', () => {
    const c = clock();
    const station = new Station('live', { historyLength: 2, heartbeat: 1000, now: c.now });
    for (const title of ['A - 1', 'B - 2', 'C - 3', 'D - 4']) {
      station.applyReading({ mount: '/live', title });
      c.advance(60);
    }
    expect(station.state.track?.text).toBe('D - 4');
    expect(station.state.startedAt).toBe('2026-11-24T21:03:00.000Z');
    expect(historyList(station.state)).toEqual([
      { text: 'C - 3', artist: 'C', title: '3', startedAt: '2026-11-24T21:02:00.000Z' },
      { text: 'B - 2', artist: 'B', title: '2', startedAt: '2026-11-24T21:01:00.000Z' },
    ]);
  });

  it('a track change patches only the new history entry and the one it pushes out (keys are seqs)', () => {
    const c = clock();
    const station = new Station('live', { historyLength: 3, heartbeat: 1000, now: c.now });
    const patches = ['A - 1', 'B - 2', 'C - 3', 'D - 4', 'E - 5'].map((title) => {
      c.advance(60);
      return station.applyReading({ mount: '/live', title })!;
    });
    // The history is full (3 entries) before the last change: it adds one key and deletes the oldest.
    const last = patches.at(-1)!;
    expect(Object.keys(station.state.history)).toEqual([String(patches[2]!.seq), String(patches[3]!.seq), String(last.seq)]);
    expect(last.patch).toEqual({
      track: { text: 'E - 5', artist: 'E', title: '5' },
      startedAt: '2026-11-24T21:05:00.000Z',
      history: { [last.seq]: { text: 'D - 4', artist: 'D', title: '4', startedAt: '2026-11-24T21:04:00.000Z' }, [patches[1]!.seq]: null },
    });
  });

  it('bounds the history in bytes as well as entries, dropping the oldest first', () => {
    const station = new Station('live', { historyLength: 100, heartbeat: 1000 });
    const long = 'x'.repeat(500);
    for (let i = 0; i < 60; i++) station.applyReading({ mount: '/live', title: `${i} - ${long}` });
    const bytes = Buffer.byteLength(JSON.stringify(station.state.history));
    expect(bytes).toBeLessThanOrEqual(MAX_HISTORY_BYTES);
    expect(bytes).toBeGreaterThan(MAX_HISTORY_BYTES - 1100); // full: one more entry would not fit
    const texts = historyList(station.state).map((entry) => entry.text.split(' ')[0]);
    expect(texts[0]).toBe('58');
    expect(texts).toEqual(texts.map((_, i) => String(58 - i))); // most recent first, no gaps
  });

  it('stale keeps every field and says why; the next good reading clears it', () => {
    const station = new Station('live', { historyLength: 10, heartbeat: 1000 });
    station.applyReading({ mount: '/live', name: 'Live', title: 'A - One', listeners: 4 });
    const before = station.state;
    expect(station.markStale('HTTP 500')?.patch).toEqual({ stale: true, staleReason: 'HTTP 500' });
    expect({ ...station.state, stale: false, staleReason: undefined }).toEqual({ ...before, staleReason: undefined });
    expect(station.applyReading({ mount: '/live', name: 'Live', title: 'A - One', listeners: 4 })?.patch).toEqual({
      stale: false,
      staleReason: null,
    });
  });

  it('never puts null in the state (merge patch reserves null for deletion)', () => {
    const station = new Station('live', { historyLength: 10, heartbeat: 1000 });
    station.applyReading({ mount: '/live', title: 'A - One' });
    station.applyReading({ mount: '/live' });
    station.markStale('x');
    station.markOffline();
    expect(JSON.stringify(station.state)).not.toContain('null');
  });

  it('serialises its snapshot once per seq', () => {
    const station = new Station('live', { historyLength: 10, heartbeat: 1500 });
    station.applyReading({ mount: '/live', title: 'A - One' });
    const first = station.snapshotText();
    expect(station.snapshotText()).toBe(first);
    expect(JSON.parse(first)).toMatchObject({ type: 'snapshot', v: 2, station: 'live', seq: station.seq, heartbeat: 1500 });
    station.applyReading({ mount: '/live', title: 'B - Two' });
    expect(station.snapshotText()).not.toBe(first);
  });
});
