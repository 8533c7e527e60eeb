import { afterEach, describe, expect, it, vi } from 'vitest';
import { Hub, type Subscriber } from '../src/hub.js';

function subscriber(): Subscriber & { received: string[]; closed: [number, string][] } {
  const received: string[] = [];
  const closed: [number, string][] = [];
  return { received, closed, send: (t) => received.push(t), close: (code, reason) => closed.push([code, reason]) };
}

afterEach(() => vi.restoreAllMocks());

describe('Hub', () => {
  it('serialises a change once, however many subscribers', () => {
    const hub = new Hub();
    const subs = Array.from({ length: 100 }, () => subscriber());
    for (const s of subs) hub.subscribe('live', s);
    const stringify = vi.spyOn(JSON, 'stringify');
    hub.publish('live', { type: 'patch', station: 'live', seq: 2, patch: { listeners: 1 } });
    expect(stringify).toHaveBeenCalledTimes(1);
    expect(new Set(subs.map((s) => s.received[0]))).toEqual(new Set(['{"type":"patch","station":"live","seq":2,"patch":{"listeners":1}}']));
  });

  it('publishes only to the station’s subscribers; broadcast reaches all', () => {
    const hub = new Hub();
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
    const hub = new Hub();
    const a = subscriber();
    const off = hub.subscribe('a', a);
    off();
    hub.publish('a', { type: 'ping', t: 1 });
    expect(a.received).toEqual([]);
    expect(hub.count()).toBe(0);
  });

  it('closeStation closes only that station’s subscribers, with the code and reason', () => {
    const hub = new Hub();
    const a1 = subscriber();
    const a2 = subscriber();
    const b = subscriber();
    hub.subscribe('a', a1);
    hub.subscribe('a', a2);
    hub.subscribe('b', b);
    hub.closeStation('a', 4404, 'station removed');
    expect([a1.closed, a2.closed, b.closed]).toEqual([[[4404, 'station removed']], [[4404, 'station removed']], []]);
  });
});
