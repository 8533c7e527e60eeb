import type { ServerMessage } from '@now-playing/protocol';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Hub, type Subscriber } from '../src/hub.js';

/** An in-memory subscriber: records what it is given, in order. */
interface Recorder extends Subscriber {
  frames: (Buffer | string)[];
  messages: () => ServerMessage[];
  beats: number;
  dismissed: [number, string][];
}

function subscriber(seq = 0, log?: string[], name = ''): Recorder {
  const frames: (Buffer | string)[] = [];
  const dismissed: [number, string][] = [];
  const recorder: Recorder = {
    seq,
    frames,
    dismissed,
    beats: 0,
    messages: () => frames.map((frame) => JSON.parse(frame.toString()) as ServerMessage),
    deliver: (frame) => {
      frames.push(frame);
      log?.push(name);
    },
    beat: (frame) => {
      recorder.beats++;
      frames.push(frame);
      return true;
    },
    dismiss: (code, reason) => dismissed.push([code, reason]),
  };
  return recorder;
}

const patch = (seq: number, station = 'live'): ServerMessage => ({ type: 'patch', station, seq, patch: { listeners: seq } });
/** One turn of the event loop's check phase: every slice queued before it has run. */
const nextSlice = () => new Promise((resolve) => setImmediate(resolve));

afterEach(() => vi.restoreAllMocks());

describe('Hub', () => {
  it('serialises a message once and hands every subscriber the same bytes', async () => {
    const hub = new Hub();
    const subs = Array.from({ length: 100 }, () => subscriber());
    for (const s of subs) hub.subscribe('live', s);
    const stringify = vi.spyOn(JSON, 'stringify');
    hub.publish('live', patch(2));
    await hub.drained();
    expect(stringify).toHaveBeenCalledTimes(1);
    expect(new Set(subs.map((s) => s.frames[0]))).toHaveProperty('size', 1);
    expect(subs[0]!.frames[0]!.toString()).toBe('{"type":"patch","station":"live","seq":2,"patch":{"listeners":2}}');
  });

  it('publishes only to the station’s subscribers; the heartbeat reaches all', async () => {
    const hub = new Hub();
    const a = subscriber();
    const b = subscriber();
    hub.subscribe('a', a);
    hub.subscribe('b', b);
    hub.publish('a', { type: 'ping', t: 1 });
    await hub.drained();
    expect([a.frames.length, b.frames.length]).toEqual([1, 0]);
    hub.heartbeat({ type: 'ping', t: 2 });
    await hub.drained();
    expect([a.beats, b.beats]).toEqual([1, 1]);
    expect([hub.count('a'), hub.count('b'), hub.count()]).toEqual([1, 1, 2]);
    expect([...hub.counts()]).toEqual([['a', 1], ['b', 1]]);
  });

  it('unsubscribe stops delivery and forgets empty stations', async () => {
    const hub = new Hub();
    const a = subscriber();
    hub.subscribe('a', a);
    hub.unsubscribe('a', a);
    hub.publish('a', { type: 'ping', t: 1 });
    await hub.drained();
    expect(a.frames).toEqual([]);
    expect(hub.count()).toBe(0);
    expect([...hub.counts()]).toEqual([]);
  });

  it('closeStation dismisses only that station’s subscribers, after what was published to them before', async () => {
    const hub = new Hub({ sliceMs: 0, turn: 1 });
    const a1 = subscriber();
    const a2 = subscriber();
    const b = subscriber();
    hub.subscribe('a', a1);
    hub.subscribe('a', a2);
    hub.subscribe('b', b);
    hub.publish('a', patch(2, 'a'));
    hub.closeStation('a', 4404, 'station removed');
    await hub.drained();
    expect([a1.dismissed, a2.dismissed, b.dismissed]).toEqual([[[4404, 'station removed']], [[4404, 'station removed']], []]);
    expect(a2.messages()).toEqual([patch(2, 'a')]);
  });

  it('a fan-out is sliced: one turn per slice when the slice time is 0, and other callbacks run in between', async () => {
    const hub = new Hub({ sliceMs: 0, turn: 5 });
    const subs = Array.from({ length: 23 }, () => subscriber());
    for (const s of subs) hub.subscribe('live', s);
    hub.publish('live', patch(2));
    const delivered = () => subs.filter((s) => s.frames.length > 0).length;
    expect(delivered()).toBe(0); // nothing inside publish: the caller is never held
    const progress: number[] = [];
    while (hub.busy) {
      await nextSlice(); // a callback of ours between two slices
      progress.push(delivered());
    }
    expect(progress).toEqual([5, 10, 15, 20, 23]);
  });

  it('keeps each subscriber’s messages in publish order across slices', async () => {
    const hub = new Hub({ sliceMs: 0, turn: 3 });
    const subs = Array.from({ length: 20 }, () => subscriber(1));
    for (const s of subs) hub.subscribe('live', s);
    hub.publish('live', patch(2));
    await nextSlice();
    hub.publish('live', patch(3)); // while 2 is half-way
    await nextSlice();
    hub.publish('live', patch(4));
    await hub.drained();
    for (const s of subs) expect(s.messages().map((m) => (m.type === 'patch' ? m.seq : -1))).toEqual([2, 3, 4]);
  });

  it('a subscriber that joins during a fan-out gets only patches after its snapshot’s seq', async () => {
    const hub = new Hub({ sliceMs: 0, turn: 2 });
    const early = Array.from({ length: 10 }, () => subscriber(1));
    for (const s of early) hub.subscribe('live', s);
    hub.publish('live', patch(2));
    await nextSlice();
    expect(hub.busy).toBe(true);
    const late = subscriber(2); // its snapshot was at seq 2: the state after patch 2
    hub.subscribe('live', late);
    hub.publish('live', patch(3));
    await hub.drained();
    expect(late.messages().map((m) => (m.type === 'patch' ? m.seq : -1))).toEqual([3]);
    for (const s of early) expect(s.messages()).toHaveLength(2);
  });

  it('a snapshot reaches every subscriber and resets its seq (a rolled-back station)', async () => {
    const hub = new Hub();
    const ahead = subscriber(9);
    hub.subscribe('live', ahead);
    hub.publish('live', { type: 'snapshot', v: 2, station: 'live', seq: 5, heartbeat: 1000, data: { station: { id: 'live' }, online: true, stale: false, history: {} } });
    hub.publish('live', patch(6));
    await hub.drained();
    expect(ahead.messages().map((m) => m.type)).toEqual(['snapshot', 'patch']);
    expect(ahead.seq).toBe(6);
  });

  it('stations take turns: a small station is not kept waiting behind a big fan-out', async () => {
    const order: string[] = [];
    const hub = new Hub({ sliceMs: 0, turn: 4 });
    for (let i = 0; i < 40; i++) hub.subscribe('big', subscriber(0, order, 'big'));
    hub.subscribe('small', subscriber(0, order, 'small'));
    hub.publish('big', patch(2, 'big'));
    hub.publish('small', patch(2, 'small'));
    await hub.drained();
    // The small station's one subscriber is served in the second turn, not after all 40.
    expect(order.indexOf('small')).toBe(4);
  });

  it('a change does not wait behind a heartbeat: heartbeats go when no change is being sent', async () => {
    const order: string[] = [];
    const hub = new Hub({ sliceMs: 0, turn: 4 });
    for (let i = 0; i < 20; i++) {
      const s = subscriber(0);
      s.beat = () => order.push('beat') > 0;
      s.deliver = () => order.push('patch');
      hub.subscribe('live', s);
    }
    hub.heartbeat({ type: 'ping', t: 1 });
    await nextSlice(); // the heartbeat has begun: 4 of 20
    hub.publish('live', patch(2));
    await hub.drained();
    expect(order.slice(0, 4)).toEqual(['beat', 'beat', 'beat', 'beat']);
    expect(order.slice(4, 24)).toEqual(Array(20).fill('patch')); // every patch before the other 16 beats
    expect(order.filter((o) => o === 'beat')).toHaveLength(20);
  });

  it('a heartbeat step reaches only the subscribers whose turn it is, and counts only those', async () => {
    const sent: number[] = [];
    const hub = new Hub({ observer: { sent: (_type, messages) => sent.push(messages) } });
    const turns = [0, 1, 0, 1, 1].map((phase) => {
      const s = subscriber();
      const steps: number[] = [];
      s.beat = (_frame, step, total) => (steps.push(step), phase === step % total);
      hub.subscribe('live', s);
      return steps;
    });
    hub.heartbeat({ type: 'ping', t: 1 }, 1, 2);
    await hub.drained();
    expect(turns).toEqual([[1], [1], [1], [1], [1]]); // each was asked
    expect(sent).toEqual([3]); // three had their turn
  });

  it('reports what it sent, once per fan-out', async () => {
    const sent: [string, number, number][] = [];
    const hub = new Hub({ observer: { sent: (type, messages, bytes) => sent.push([type, messages, bytes]) } });
    for (let i = 0; i < 3; i++) hub.subscribe('live', subscriber(i)); // seqs 0, 1, 2
    hub.publish('live', patch(2)); // the subscriber already at 2 is skipped
    hub.heartbeat({ type: 'ping', t: 1 });
    await hub.drained();
    const bytes = Buffer.byteLength(JSON.stringify(patch(2)));
    expect(sent).toEqual([['patch', 2, 2 * bytes], ['ping', 3, 3 * Buffer.byteLength('{"type":"ping","t":1}')]]);
  });
});
