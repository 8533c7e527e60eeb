import { afterEach, describe, expect, it, vi } from 'vitest';
import { Hub, type Subscriber } from '../src/hub.js';

function subscriber(buffered = 0): Subscriber & { received: string[]; dropped: string[] } {
  const received: string[] = [];
  const dropped: string[] = [];
  return { received, dropped, bufferedAmount: buffered, send: (t) => received.push(t), drop: (r) => dropped.push(r) };
}

afterEach(() => vi.restoreAllMocks());

describe('Hub', () => {
  it('serialises a change once, however many subscribers', () => {
    const hub = new Hub({ maxBufferedBytes: 1024 });
    const subs = Array.from({ length: 100 }, () => subscriber());
    for (const s of subs) hub.subscribe('live', s);
    const stringify = vi.spyOn(JSON, 'stringify');
    hub.publish('live', { type: 'patch', station: 'live', seq: 2, patch: { listeners: 1 } });
    expect(stringify).toHaveBeenCalledTimes(1);
    expect(new Set(subs.map((s) => s.received[0]))).toEqual(new Set(['{"type":"patch","station":"live","seq":2,"patch":{"listeners":1}}']));
  });

  it('publishes only to the station’s subscribers; broadcast reaches all', () => {
    const hub = new Hub({ maxBufferedBytes: 1024 });
    const a = subscriber();
    const b = subscriber();
    hub.subscribe('a', a);
    hub.subscribe('b', b);
    hub.publish('a', { type: 'ping', t: 1 });
    expect([a.received.length, b.received.length]).toEqual([1, 0]);
    hub.broadcast({ type: 'ping', t: 2 });
    expect([a.received.length, b.received.length]).toEqual([2, 1]);
    expect([hub.count('a'), hub.count('b'), hub.count()]).toEqual([1, 1, 2]);
  });

  it('unsubscribe stops delivery and forgets empty stations', () => {
    const hub = new Hub({ maxBufferedBytes: 1024 });
    const a = subscriber();
    const off = hub.subscribe('a', a);
    off();
    hub.publish('a', { type: 'ping', t: 1 });
    expect(a.received).toEqual([]);
    expect(hub.count()).toBe(0);
  });

  it('drops a subscriber whose queue is over the limit instead of queueing more', () => {
    const onDrop = vi.fn();
    const hub = new Hub({ maxBufferedBytes: 1024, onDrop });
    const slow = subscriber(4096);
    const fast = subscriber(0);
    hub.subscribe('live', slow);
    hub.subscribe('live', fast);
    hub.publish('live', { type: 'ping', t: 1 });
    expect(slow.received).toEqual([]);
    expect(slow.dropped).toEqual(['client too slow']);
    expect(fast.received).toHaveLength(1);
    expect(onDrop).toHaveBeenCalledWith('live', 'client too slow');
  });
});
