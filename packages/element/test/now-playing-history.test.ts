import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { History, NowPlaying } from '@now-playing/protocol';
import '../src/history.js';
import '../src/now-playing.js';
import type { NowPlayingHistoryElement } from '../src/now-playing-history.js';
import { FakeSocket, nowPlaying, patch, snapshot } from './fake-socket.js';

const HEARTBEAT = 600_000;
const NOW = Date.UTC(2026, 10, 25, 21, 30);

let n = 0;
let cleanup: Element[] = [];

const settle = () => vi.advanceTimersByTimeAsync(20);

/** `count` previous tracks, keyed by seq as protocol v2 sends them: "Song 1" is the most recent, 4 minutes apart. */
function history(count: number): History {
  const entries: History = {};
  for (let i = 1; i <= count; i++)
    entries[String(100 - i)] = { text: `Artist ${i} - Song ${i}`, artist: `Artist ${i}`, title: `Song ${i}`, startedAt: new Date(NOW - i * 240_000).toISOString() };
  return entries;
}

const state = (overrides: Partial<NowPlaying> = {}) =>
  nowPlaying({ startedAt: new Date(NOW - 60_000).toISOString(), history: history(8), ...overrides });

async function mount(attributes: Record<string, string> = {}, fallback = 'No tracks yet') {
  const el = document.createElement('now-playing-history');
  el.setAttribute('src', `https://relay${++n}.test/ws`);
  el.setAttribute('station', 'live');
  for (const [name, value] of Object.entries(attributes)) el.setAttribute(name, value);
  el.textContent = fallback;
  document.body.append(el);
  cleanup.push(el);
  await settle();
  return { el, socket: FakeSocket.last };
}

const rows = (el: NowPlayingHistoryElement) => [...el.shadowRoot!.querySelectorAll('[part~="item"]')];
const texts = (el: NowPlayingHistoryElement) => rows(el).map((row) => row.querySelector('[part="text"]')!.textContent);

beforeEach(() => {
  vi.useFakeTimers({ now: NOW });
  vi.stubGlobal('WebSocket', FakeSocket);
  FakeSocket.reset();
});

afterEach(async () => {
  for (const el of cleanup) el.remove();
  cleanup = [];
  document.documentElement.removeAttribute('lang');
  await vi.advanceTimersByTimeAsync(10);
  vi.useRealTimers();
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

describe('<now-playing-history>', () => {
  it('shows its fallback before data, then a labelled list of the last 5 tracks, most recent first', async () => {
    const { el, socket } = await mount();
    expect(el.shadowRoot!.querySelector('slot')).not.toBeNull();
    expect(el.getAttribute('status')).toBe('connecting');
    socket.open();
    socket.receive(snapshot(1, state(), HEARTBEAT));
    await settle();
    const list = el.shadowRoot!.querySelector('ol[part="list"]')!;
    expect(list.getAttribute('aria-label')).toBe('Recently played');
    expect(el.shadowRoot!.querySelector('slot')).toBeNull();
    expect(texts(el)).toEqual(['Artist 1 – Song 1', 'Artist 2 – Song 2', 'Artist 3 – Song 3', 'Artist 4 – Song 4', 'Artist 5 – Song 5']);
    expect(el.getAttribute('status')).toBe('live');
  });

  it('writes each start as <time datetime> (ISO) with a clock time, or a relative one', async () => {
    document.documentElement.lang = 'en-GB';
    const { el, socket } = await mount({ limit: '2' });
    socket.open();
    socket.receive(snapshot(1, state(), HEARTBEAT));
    await settle();
    const times = rows(el).map((row) => row.querySelector('time')!);
    expect(times.map((t) => t.getAttribute('datetime'))).toEqual([new Date(NOW - 240_000).toISOString(), new Date(NOW - 480_000).toISOString()]);
    const clock = new Intl.DateTimeFormat('en-GB', { timeStyle: 'short' });
    expect(times.map((t) => t.textContent)).toEqual([clock.format(NOW - 240_000), clock.format(NOW - 480_000)]);

    el.setAttribute('time', 'relative');
    await settle();
    expect(rows(el).map((row) => row.querySelector('time')!.textContent)).toEqual(['4 minutes ago', '8 minutes ago']);
    // Rewritten as time passes, without any message from the relay.
    await vi.advanceTimersByTimeAsync(60_000);
    expect(rows(el).map((row) => row.querySelector('time')!.textContent)).toEqual(['5 minutes ago', '9 minutes ago']);
  });

  it('follows the lang of the page, and survives a lang that is not a language tag', async () => {
    document.documentElement.lang = 'de';
    const { el, socket } = await mount({ limit: '1', time: 'relative' });
    socket.open();
    socket.receive(snapshot(1, state(), HEARTBEAT));
    await settle();
    expect(rows(el)[0]!.querySelector('time')!.textContent).toBe('vor 4 Minuten');
    document.documentElement.lang = 'not a tag!';
    el.requestUpdate();
    await settle();
    expect(rows(el)[0]!.querySelector('time')!.textContent).toMatch(/4/);
  });

  it('include-current puts the track on air first (aria-current, part current); limit counts it', async () => {
    const { el, socket } = await mount({ 'include-current': '', limit: '3', format: '{title}' });
    socket.open();
    socket.receive(snapshot(1, state(), HEARTBEAT));
    await settle();
    expect(texts(el)).toEqual(['Song One', 'Song 1', 'Song 2']);
    const [current, previous] = rows(el);
    expect(current!.getAttribute('part')).toBe('item current');
    expect(current!.getAttribute('aria-current')).toBe('true');
    expect(previous!.hasAttribute('aria-current')).toBe(false);
    expect(current!.querySelector('time')!.getAttribute('datetime')).toBe(new Date(NOW - 60_000).toISOString());
  });

  it('updates on a track change patch (protocol v2: one entry in, one out)', async () => {
    const { el, socket } = await mount({ limit: '3', format: '{title}' });
    socket.open();
    socket.receive(snapshot(1, state(), HEARTBEAT));
    await settle();
    socket.receive(
      patch(2, {
        track: { text: 'New - Song', artist: 'New', title: 'Song' },
        startedAt: new Date(NOW).toISOString(),
        history: { '100': { text: 'Artist A - Song One', artist: 'Artist A', title: 'Song One', startedAt: new Date(NOW - 60_000).toISOString() }, '92': null },
      }),
    );
    await settle();
    expect(texts(el)).toEqual(['Song One', 'Song 1', 'Song 2']);
  });

  it('renders hostile metadata as text', async () => {
    const { el, socket } = await mount({ format: '{text}' });
    socket.open();
    const hostile = '<img src=x onerror=alert(1)> - "quotes" & <b>bold</b>';
    socket.receive(snapshot(1, state({ history: { '5': { text: hostile, startedAt: new Date(NOW).toISOString() } } }), HEARTBEAT));
    await settle();
    expect(texts(el)).toEqual([hostile]);
    expect(el.shadowRoot!.querySelector('img, b')).toBeNull();
  });

  it('shows its fallback when there is no history yet, and a label chosen by the page', async () => {
    const { el, socket } = await mount({ label: 'Zuletzt gespielt' });
    socket.open();
    socket.receive(snapshot(1, state({ history: {} }), HEARTBEAT));
    await settle();
    expect(el.shadowRoot!.querySelector('slot')).not.toBeNull();
    socket.receive(patch(2, { history: history(1) }));
    await settle();
    expect(el.shadowRoot!.querySelector('ol')!.getAttribute('aria-label')).toBe('Zuletzt gespielt');
  });

  it('shares one socket with <now-playing> for the same src and station', async () => {
    const { el, socket } = await mount();
    const now = document.createElement('now-playing');
    now.setAttribute('src', el.getAttribute('src')!);
    now.setAttribute('station', 'live');
    document.body.append(now);
    cleanup.push(now);
    await settle();
    expect(FakeSocket.instances).toEqual([socket]);
    socket.open();
    socket.receive(snapshot(1, state(), HEARTBEAT));
    await settle();
    expect(now.nowPlaying).toBe(el.nowPlaying);
    el.remove();
    now.remove();
    await settle();
    expect(socket.closedWith).toBe(1000); // the last element let go
  });

  it('shares it with another copy of the element package (two relay-served bundles on one page)', async () => {
    const { acquireConnection } = await import('../src/connection.js');
    vi.resetModules();
    const copy = await import('../src/connection.js');
    expect(copy.acquireConnection).not.toBe(acquireConnection); // really a second copy of the module
    const a = acquireConnection('https://shared.test/ws', 'live');
    const b = copy.acquireConnection('https://shared.test/ws', 'live');
    expect(b).toBe(a);
    await settle();
    expect(FakeSocket.instances).toHaveLength(1);
    a.release();
    b.release();
    await settle();
    expect(FakeSocket.last.closedWith).toBe(1000);
  });
});
