import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CloseCode, HEARTBEAT_TOLERANCE, PROTOCOL_VERSION } from '@now-playing/protocol';
import {
  acquireConnection,
  Connection,
  DEFAULT_HEARTBEAT,
  MIN_RECONNECTION_DELAY,
  RECONNECTION_JITTER,
  type ConnectionUpdate,
} from '../src/connection.js';
import { relayBesideScript, socketUrl } from '../src/socket-url.js';
import { FakeSocket, nowPlaying, patch, snapshot } from './fake-socket.js';

const URL_ = 'ws://relay.test/ws?station=live';

/**
 * Let partysocket's connect chain (a zero-delay timer, then promises) run. 10 ms, not 0: the fake clock
 * clamps a zero timer set from inside another timer, as browsers do; still far below the 500 ms backoff.
 */
const flush = () => vi.advanceTimersByTimeAsync(10);

let connections: Connection[] = [];

async function connect(url = URL_) {
  const connection = new Connection(url, { WebSocket: FakeSocket });
  connections.push(connection);
  const updates: ConnectionUpdate[] = [];
  connection.subscribe((u) => updates.push(u));
  await flush();
  return { connection, updates, socket: FakeSocket.last };
}

/** A connection that has opened and applied `snapshot(7)` (heartbeat 1 s). */
async function live() {
  const c = await connect();
  c.socket.open();
  c.socket.receive(snapshot(7));
  return c;
}

beforeEach(() => {
  vi.useFakeTimers();
  FakeSocket.reset();
});

afterEach(() => {
  for (const c of connections) c.close();
  connections = [];
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe('relayBesideScript (the default src of the relay-served bundles)', () => {
  it('is the ws endpoint beside the script, behind a path prefix too', () => {
    expect(relayBesideScript('https://relay.test/now-playing.js')).toBe('https://relay.test/ws');
    expect(relayBesideScript('https://site.test/radio/now-playing@0.1.0.js')).toBe('https://site.test/radio/ws');
    expect(relayBesideScript('http://127.0.0.1:8080/now-playing.iife.js')).toBe('http://127.0.0.1:8080/ws');
    expect(relayBesideScript('file:///tmp/now-playing.js')).toBeUndefined();
    expect(relayBesideScript(undefined)).toBeUndefined();
  });
});

describe('socketUrl', () => {
  it('maps http(s) to ws(s), keeps the path and sets the station', () => {
    expect(socketUrl('http://relay.test/ws', 'live')).toBe('ws://relay.test/ws?station=live');
    expect(socketUrl('https://relay.test:8443/radio/ws?x=1', 'a b')).toBe('wss://relay.test:8443/radio/ws?x=1&station=a+b');
    expect(socketUrl('wss://relay.test/ws?station=old', 'new')).toBe('wss://relay.test/ws?station=new');
    expect(socketUrl('https://relay.test/')).toBe('wss://relay.test/ws');
    expect(socketUrl('https://relay.test', 'live')).toBe('wss://relay.test/ws?station=live');
  });

  it('rejects other schemes', () => {
    expect(() => socketUrl('ftp://relay.test/ws')).toThrow(/http\(s\) or ws\(s\)/);
  });
});

describe('Connection', () => {
  it('is connecting until the snapshot, then live with its data', async () => {
    const { connection, updates, socket } = await connect();
    expect(socket.url).toBe(URL_);
    expect(connection.current.status).toBe('connecting');
    socket.open();
    expect(connection.current.status).toBe('connecting');
    socket.receive(snapshot(7));
    expect(connection.current.status).toBe('live');
    expect(connection.current.state).toEqual(nowPlaying());
    expect(updates.at(-1)).toMatchObject({ status: 'live', state: nowPlaying(), previousTrack: undefined });
  });

  it('applies a patch with the next seq and remembers the previous track', async () => {
    const { connection, updates } = await live();
    const before = updates.length;
    FakeSocket.last.receive(patch(8, { track: { text: 'B - Two', artist: 'B', title: 'Two' }, listeners: 5 }));
    expect(connection.current.state?.track).toEqual({ text: 'B - Two', artist: 'B', title: 'Two' });
    expect(connection.current.state?.listeners).toBe(5);
    expect(connection.current.previousTrack?.title).toBe('Song One');
    expect(updates.length).toBe(before + 1);
  });

  it('takes the previous track from the relay\'s history (v2: keyed by seq, most recent first)', async () => {
    const { connection, socket } = await connect();
    socket.open();
    const earlier = { text: 'Old - Earlier', startedAt: '2026-11-24T20:50:00.000Z' };
    const latest = { text: 'Prev - Latest', artist: 'Prev', title: 'Latest', startedAt: '2026-11-24T20:55:00.000Z' };
    socket.receive(snapshot(7, nowPlaying({ history: { '4': earlier, '6': latest } })));
    expect(connection.current.previousTrack).toEqual(latest);
    const next = { text: 'Artist A - Song One', artist: 'Artist A', title: 'Song One', startedAt: '2026-11-24T21:00:00.000Z' };
    socket.receive(patch(8, { track: { text: 'B - Two', artist: 'B', title: 'Two' }, history: { '8': next, '4': null } }));
    expect(connection.current.previousTrack).toEqual(next);
  });

  it('still reads a protocol v1 snapshot (history as an array)', async () => {
    const { connection, socket } = await connect();
    socket.open();
    const latest = { text: 'Prev - Latest', startedAt: '2026-11-24T20:55:00.000Z' };
    socket.receive({ ...snapshot(7, nowPlaying({ history: [latest] as never })), v: 1 });
    expect(connection.current).toMatchObject({ status: 'live', previousTrack: latest });
  });

  it('on a seq gap sends resync and ignores patches until the snapshot', async () => {
    const { connection, socket } = await live();
    socket.receive(patch(9, { listeners: 99 })); // 8 is missing
    expect(socket.sentMessages).toEqual([{ type: 'resync' }]);
    expect(connection.current.state?.listeners).toBe(3);
    socket.receive(patch(10, { listeners: 100 })); // would be "next" after 9, still ignored
    expect(connection.current.state?.listeners).toBe(3);
    expect(socket.sentMessages).toHaveLength(1);
    socket.receive(snapshot(10, nowPlaying({ listeners: 100 })));
    expect(connection.current.state?.listeners).toBe(100);
    socket.receive(patch(11, { listeners: 101 }));
    expect(connection.current.state?.listeners).toBe(101);
    expect(connection.current.status).toBe('live');
  });

  it('ignores a duplicate or old patch without asking for a resync', async () => {
    const { connection, socket } = await live(); // seq 7
    socket.receive(patch(8, { listeners: 8 }));
    const afterEight = connection.current;
    socket.receive(patch(8, { listeners: 80 })); // the same seq again, even with another body
    socket.receive(patch(5, { listeners: 50 })); // older than the state
    socket.receive(patch(7, { listeners: 70 }));
    expect(connection.current).toBe(afterEight); // subscribers were told nothing
    expect(connection.current.state?.listeners).toBe(8);
    expect(socket.sent).toEqual([]);
    socket.receive(patch(9, { listeners: 9 })); // and the next one still applies
    expect(connection.current.state?.listeners).toBe(9);
  });

  it('asks for one resync however many gapped patches follow', async () => {
    const { connection, socket } = await live();
    for (let seq = 9; seq < 109; seq++) socket.receive(patch(seq, { listeners: seq }));
    expect(socket.sentMessages).toEqual([{ type: 'resync' }]);
    expect(connection.current.state?.listeners).toBe(3);
  });

  describe('protocol version', () => {
    it('shows nothing from a snapshot of another version: offline, unsupported-version, one warning', async () => {
      const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
      const { connection, updates, socket } = await live(); // v 1, data shown
      socket.receive({ ...snapshot(8), v: PROTOCOL_VERSION + 1 });
      expect(connection.current).toMatchObject({ state: undefined, status: 'offline', reason: 'unsupported-version' });
      expect(updates.at(-1)).toBe(connection.current);
      expect(warn).toHaveBeenCalledTimes(1);
      expect(warn.mock.calls[0]![0]).toContain(`unsupported protocol version ${PROTOCOL_VERSION + 1}`);
      // Its patches are not applied (nothing to place them on) and not answered with resyncs.
      socket.receive(patch(9, { listeners: 1 }));
      socket.receive(patch(11, { listeners: 1 }));
      expect(connection.current.state).toBeUndefined();
      expect(socket.sent).toEqual([]);
      // The same relay again after a reconnect: still offline, no second warning.
      socket.serverClose(1001);
      await vi.advanceTimersByTimeAsync(1000);
      FakeSocket.last.open();
      FakeSocket.last.receive({ ...snapshot(1), v: PROTOCOL_VERSION + 1 });
      expect(connection.current.reason).toBe('unsupported-version');
      expect(warn).toHaveBeenCalledTimes(1);
      // A relay that speaks our version: live again.
      FakeSocket.last.receive(snapshot(2));
      expect(connection.current).toMatchObject({ status: 'live', reason: undefined, state: nowPlaying() });
    });

    it('an answered snapshot of another version does not trip the watchdog', async () => {
      vi.spyOn(console, 'warn').mockImplementation(() => {});
      const { socket } = await connect();
      socket.open();
      socket.receive({ ...snapshot(1), v: PROTOCOL_VERSION + 1 });
      for (let i = 0; i < 5; i++) {
        await vi.advanceTimersByTimeAsync(DEFAULT_HEARTBEAT);
        socket.receive({ type: 'ping', t: Date.now() });
      }
      expect(socket.readyState).toBe(FakeSocket.OPEN);
      expect(FakeSocket.instances).toHaveLength(1);
    });
  });

  it('resyncs when a patch would produce an invalid state', async () => {
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    const { connection, socket } = await live();
    socket.receive(patch(8, { online: null }));
    expect(connection.current.state?.online).toBe(true);
    expect(socket.sentMessages).toEqual([{ type: 'resync' }]);
  });

  it('ignores patches for another station', async () => {
    const { connection, socket } = await live();
    socket.receive(patch(8, { listeners: 1 }, 'other'));
    expect(connection.current.state?.listeners).toBe(3);
    expect(socket.sent).toHaveLength(0);
  });

  it('derives stale and offline from the data', async () => {
    const { connection, socket } = await connect();
    socket.open();
    socket.receive(snapshot(1, nowPlaying({ stale: true, staleReason: 'timeout' })));
    expect(connection.current.status).toBe('stale');
    socket.receive(patch(2, { stale: false, staleReason: null, online: false }));
    expect(connection.current).toMatchObject({ status: 'offline', reason: 'off-air' });
    socket.receive(patch(3, { online: true }));
    expect(connection.current).toMatchObject({ status: 'live', reason: undefined });
  });

  it('ignores invalid frames and warns once', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const { connection, socket } = await live();
    socket.receive('not json');
    socket.receive({ type: 'snapshot', station: 'live', seq: 9, v: 1, heartbeat: 1000, data: { online: true } });
    socket.receive({ type: 'surprise' });
    expect(connection.current.state).toEqual(nowPlaying());
    expect(connection.current.status).toBe('live');
    expect(warn).toHaveBeenCalledTimes(1);
  });

  it('goes reconnecting when the link drops after data, keeping the data', async () => {
    const { connection, socket } = await live();
    socket.serverClose(1001);
    expect(connection.current.status).toBe('reconnecting');
    expect(connection.current.state).toEqual(nowPlaying());
    await vi.advanceTimersByTimeAsync(1000); // first retry: 500 … 1000 ms
    expect(FakeSocket.instances).toHaveLength(2);
    FakeSocket.last.open();
    expect(connection.current.status).toBe('reconnecting');
    FakeSocket.last.receive(snapshot(20));
    expect(connection.current.status).toBe('live');
  });

  it('stays connecting when the link drops before any data', async () => {
    const { connection, socket } = await connect();
    socket.open();
    socket.serverClose(1006);
    expect(connection.current.status).toBe('connecting');
  });

  describe('heartbeat watchdog', () => {
    it('reconnects after HEARTBEAT_TOLERANCE × heartbeat of silence', async () => {
      const { connection, socket } = await live(); // heartbeat 1000
      expect(HEARTBEAT_TOLERANCE).toBe(2.5);
      await vi.advanceTimersByTimeAsync(2499);
      expect(connection.current.status).toBe('live');
      expect(socket.readyState).toBe(FakeSocket.OPEN);
      await vi.advanceTimersByTimeAsync(1);
      expect(connection.current.status).toBe('reconnecting');
      expect(socket.readyState).toBe(FakeSocket.CLOSED);
      await flush();
      expect(FakeSocket.instances).toHaveLength(2); // reconnect() does not wait for a backoff
    });

    it('is re-armed by every message', async () => {
      const { connection, socket } = await live();
      for (let i = 0; i < 5; i++) {
        await vi.advanceTimersByTimeAsync(2000);
        socket.receive({ type: 'ping', t: Date.now() });
      }
      expect(connection.current.status).toBe('live');
      expect(FakeSocket.instances).toHaveLength(1);
      await vi.advanceTimersByTimeAsync(2500);
      expect(connection.current.status).toBe('reconnecting');
    });

    it('uses the default heartbeat before the first snapshot', async () => {
      const { socket } = await connect();
      socket.open();
      await vi.advanceTimersByTimeAsync(HEARTBEAT_TOLERANCE * DEFAULT_HEARTBEAT - 1);
      expect(socket.readyState).toBe(FakeSocket.OPEN);
      await vi.advanceTimersByTimeAsync(1);
      expect(socket.readyState).toBe(FakeSocket.CLOSED);
    });

    it('reconnects when a resync is never answered, even while pings arrive', async () => {
      const { connection, socket } = await live();
      socket.receive(patch(9, {}));
      for (let i = 0; i < 3; i++) {
        await vi.advanceTimersByTimeAsync(1000);
        socket.receive({ type: 'ping', t: Date.now() });
      }
      expect(socket.readyState).toBe(FakeSocket.CLOSED);
      expect(connection.current.status).toBe('reconnecting');
    });
  });

  it('reconnects at once on window online', async () => {
    const { connection, socket } = await live();
    window.dispatchEvent(new Event('online'));
    expect(socket.readyState).toBe(FakeSocket.CLOSED);
    expect(connection.current.status).toBe('reconnecting');
    await flush();
    expect(FakeSocket.instances).toHaveLength(2);
  });

  it('reconnects when the page becomes visible after a long silence', async () => {
    const { connection, socket } = await live();
    const visibility = vi.spyOn(document, 'visibilityState', 'get').mockReturnValue('visible');
    document.dispatchEvent(new Event('visibilitychange'));
    expect(socket.readyState).toBe(FakeSocket.OPEN); // recent message: nothing to do
    vi.setSystemTime(Date.now() + 60_000); // a throttled hidden tab: the clock moved, timers did not run
    document.dispatchEvent(new Event('visibilitychange'));
    expect(socket.readyState).toBe(FakeSocket.CLOSED);
    expect(connection.current.status).toBe('reconnecting');
    visibility.mockRestore();
  });

  it('closes on pagehide and reopens on a persisted pageshow', async () => {
    const { socket } = await live();
    window.dispatchEvent(new Event('pagehide'));
    expect(socket.readyState).toBe(FakeSocket.CLOSED);
    window.dispatchEvent(new Event('online')); // no reconnect while the page is hidden
    await vi.advanceTimersByTimeAsync(60_000);
    expect(FakeSocket.instances).toHaveLength(1);
    window.dispatchEvent(Object.assign(new Event('pageshow'), { persisted: true }));
    await flush();
    expect(FakeSocket.instances).toHaveLength(2);
  });

  it('is offline on 4404 and keeps retrying with backoff', async () => {
    const { connection, socket } = await connect();
    socket.open();
    socket.serverClose(CloseCode.UnknownStation, 'unknown station');
    expect(connection.current).toMatchObject({ status: 'offline', reason: 'unknown-station' });
    await vi.advanceTimersByTimeAsync(1000);
    expect(FakeSocket.instances).toHaveLength(2);
    FakeSocket.last.open();
    FakeSocket.last.serverClose(CloseCode.UnknownStation);
    expect(connection.current.status).toBe('offline');
    // The second retry waits longer than the first (growth factor 1.6 on 500 … 1000 ms).
    await vi.advanceTimersByTimeAsync(700);
    expect(FakeSocket.instances).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1000);
    expect(FakeSocket.instances).toHaveLength(3);
    FakeSocket.last.open();
    FakeSocket.last.receive(snapshot(1));
    expect(connection.current.status).toBe('live');
  });

  it('is offline on 4400 (station required)', async () => {
    const { connection, socket } = await connect();
    socket.open();
    socket.serverClose(CloseCode.StationRequired);
    expect(connection.current).toMatchObject({ status: 'offline', reason: 'station-required' });
  });

  // The relay's load limits: 1013 (relay full), 4429 (too many messages), 4403 (too many connections
  // from this address). Each is retried after a backoff, never at once.
  it.each([1013, 4429, 4403])('retries with backoff after close %i', async (code) => {
    const { connection, socket } = await live();
    socket.serverClose(code);
    expect(connection.current.status).toBe('reconnecting');
    await vi.advanceTimersByTimeAsync(MIN_RECONNECTION_DELAY - 20);
    expect(FakeSocket.instances).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(RECONNECTION_JITTER + 40);
    expect(FakeSocket.instances).toHaveLength(2);
  });
});

describe('acquireConnection', () => {
  it('shares one socket per src + station and closes it after the last release', async () => {
    const a = acquireConnection('http://shared.test/ws', 'live', { WebSocket: FakeSocket });
    const b = acquireConnection('ws://shared.test/ws?station=live', undefined, { WebSocket: FakeSocket });
    const other = acquireConnection('http://shared.test/ws', 'other', { WebSocket: FakeSocket });
    await flush();
    expect(b).toBe(a);
    expect(other).not.toBe(a);
    expect(FakeSocket.instances.map((s) => s.url)).toEqual([
      'ws://shared.test/ws?station=live',
      'ws://shared.test/ws?station=other',
    ]);
    const [socket] = FakeSocket.instances;
    socket!.open();

    a.release();
    await flush();
    expect(socket!.readyState).toBe(FakeSocket.OPEN);
    b.release();
    await flush();
    expect(socket!.readyState).toBe(FakeSocket.CLOSED);
    expect(socket!.closedWith).toBe(1000);

    const again = acquireConnection('http://shared.test/ws', 'live', { WebSocket: FakeSocket });
    expect(again).not.toBe(a);
    again.release();
    other.release();
    await flush();
  });

  it('keeps the socket when an element re-acquires in the same task (a DOM move)', async () => {
    const a = acquireConnection('http://move.test/ws', 'live', { WebSocket: FakeSocket });
    await flush();
    FakeSocket.last.open();
    a.release();
    const b = acquireConnection('http://move.test/ws', 'live', { WebSocket: FakeSocket });
    await flush();
    expect(b).toBe(a);
    expect(FakeSocket.instances).toHaveLength(1);
    expect(FakeSocket.last.readyState).toBe(FakeSocket.OPEN);
    b.release();
    await flush();
    expect(FakeSocket.last.readyState).toBe(FakeSocket.CLOSED);
  });
});
