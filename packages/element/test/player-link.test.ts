/**
 * `<now-playing player delay artwork>` on the fake clock: the player is happy-dom's <audio> (play and
 * pause dispatch their events; `loadstart` and `currentTime` are set by the test, as a browser would),
 * the relay is a FakeSocket. Chromium's real audio and Media Session are covered by e2e/player.spec.ts.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { NowPlaying } from '@now-playing/protocol';
import '../src/now-playing.js';
import type { NowPlayingChangeDetail, NowPlayingElement } from '../src/now-playing.js';
import { DEFAULT_BITRATE, playerDelay, SERVER_BURST_BYTES } from '../src/player-link.js';
import { FakeSocket, nowPlaying, patch, snapshot } from './fake-socket.js';

const HEARTBEAT = 600_000; // no pings needed while the fake clock runs for minutes

let n = 0;
let cleanup: Element[] = [];

/** Let partysocket's connect chain and lit's update run on the fake clock. */
const settle = () => vi.advanceTimersByTimeAsync(20);

const track = (artist: string, title: string) => ({ text: `${artist} - ${title}`, artist, title });
const song = (title: string, overrides: Partial<NowPlaying> = {}) => nowPlaying({ track: track('Artist', title), ...overrides });

/** The page's Media Session, as far as the element uses it (happy-dom has none). */
class FakeMediaMetadata {
  constructor(readonly init: MediaMetadataInit) {}
}
let session: { metadata: FakeMediaMetadata | null | 'page-owned' };

async function setup({ attributes = {}, audio = true }: { attributes?: Record<string, string>; audio?: boolean } = {}) {
  const player = document.createElement('audio');
  player.id = `radio${++n}`;
  if (audio) document.body.append(player);
  const el = document.createElement('now-playing');
  el.setAttribute('src', `https://relay${n}.test/ws`);
  el.setAttribute('station', 'live');
  el.setAttribute('format', '{title} {listeners}');
  el.setAttribute('player', player.id);
  for (const [name, value] of Object.entries(attributes)) el.setAttribute(name, value);
  document.body.append(el);
  cleanup.push(el, player);
  const changes: NowPlayingChangeDetail[] = [];
  el.addEventListener('now-playing-change', (event) => changes.push(event.detail));
  await settle();
  const socket = FakeSocket.last;
  socket.open();
  socket.receive(snapshot(1, song('One'), HEARTBEAT));
  await settle();
  return { el, player, socket, changes, text: () => el.shadowRoot!.querySelector('[part~="text"]')?.textContent };
}

/** Start the player as a browser does: a load (loadstart) then play. */
async function play(player: HTMLAudioElement) {
  player.dispatchEvent(new Event('loadstart'));
  await player.play();
  await settle();
}

beforeEach(() => {
  vi.useFakeTimers({ now: 1_800_000_000_000 });
  vi.stubGlobal('WebSocket', FakeSocket);
  session = { metadata: 'page-owned' };
  vi.stubGlobal('MediaMetadata', FakeMediaMetadata);
  Object.defineProperty(navigator, 'mediaSession', { value: session, configurable: true });
  FakeSocket.reset();
});

afterEach(async () => {
  for (const el of cleanup) el.remove();
  cleanup = [];
  await vi.advanceTimersByTimeAsync(10);
  delete (navigator as { mediaSession?: unknown }).mediaSession;
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

describe('<now-playing player delay>', () => {
  it('while the player plays, a track change shows `delay` seconds after it arrived; other changes at once', async () => {
    const { el, player, socket, changes, text } = await setup({ attributes: { delay: '2' } });
    expect(text()).toBe('One 3');
    await play(player);
    const arrived = Date.now();
    socket.receive(patch(2, { track: track('Artist', 'Two'), listeners: 4 }));
    await settle();
    // The listener count is not audio: it shows at once, with the track the listener still hears.
    expect(text()).toBe('One 4');
    expect(el.nowPlaying?.track?.title).toBe('One');
    expect(el.upcoming?.track?.title).toBe('Two');
    await vi.advanceTimersByTimeAsync(2000 - (Date.now() - arrived) - 1);
    expect(text()).toBe('One 4');
    await vi.advanceTimersByTimeAsync(1);
    await el.updateComplete;
    expect(text()).toBe('Two 4');
    expect(el.upcoming).toBeUndefined();
    expect(changes.at(-1)).toMatchObject({ changedAt: arrived, delay: 2000, previousTrack: track('Artist', 'One') });
  });

  it('queues changes in order: the second waits its own delay after the first', async () => {
    const { el, player, socket, text } = await setup({ attributes: { delay: '2' } });
    await play(player);
    const start = Date.now();
    socket.receive(patch(2, { track: track('Artist', 'Two') }));
    await vi.advanceTimersByTimeAsync(500);
    socket.receive(patch(3, { track: track('Artist', 'Three') }));
    const seen: [string, number][] = [];
    el.addEventListener('now-playing-change', (e) => seen.push([e.detail.nowPlaying!.track!.title!, Date.now() - start]));
    await vi.advanceTimersByTimeAsync(3000);
    expect(seen).toEqual([
      ['Two', 2000],
      ['Three', 2500],
    ]);
    expect(text()).toBe('Three 3');
  });

  it('without a player, paused, or with delay="0": nothing waits', async () => {
    for (const attributes of [{ delay: '2' }, { delay: '0' }]) {
      const { player, socket, text, changes } = await setup({ attributes });
      if (attributes.delay === '0') await play(player);
      socket.receive(patch(2, { track: track('Artist', 'Two') }));
      await settle();
      expect(text()).toBe('Two 3'); // paused (first round) or delay 0 (second round)
      expect(changes.at(-1)?.delay).toBe(0);
    }
    const { socket, text } = await setup({ attributes: { delay: '2' }, audio: false }); // no such element
    socket.receive(patch(2, { track: track('Artist', 'Two') }));
    await settle();
    expect(text()).toBe('Two 3');
  });

  it('a change that does not wait reports delay 0 even when the clock ticks while it is shown', async () => {
    const { socket, changes } = await setup({ attributes: { delay: '2' }, audio: false });
    // Every read of the clock is a millisecond later: arrival and display fall on different ticks.
    let tick = Date.now();
    const now = vi.spyOn(Date, 'now').mockImplementation(() => ++tick);
    try {
      socket.receive(patch(2, { track: track('Artist', 'Two') }));
      await settle();
    } finally {
      now.mockRestore();
    }
    expect(changes.at(-1)?.delay).toBe(0);
  });

  it('pausing the player shows what waits at once', async () => {
    const { player, socket, text } = await setup({ attributes: { delay: '10' } });
    await play(player);
    socket.receive(patch(2, { track: track('Artist', 'Two') }));
    socket.receive(patch(3, { track: track('Artist', 'Three') }));
    await vi.advanceTimersByTimeAsync(1000);
    expect(text()).toBe('One 3');
    player.pause();
    await settle();
    expect(text()).toBe('Three 3');
  });

  it('a reconnect and its snapshot do not show a title the listener has not reached', async () => {
    const { player, socket, text, el } = await setup({ attributes: { delay: '5' } });
    await play(player);
    socket.receive(patch(2, { track: track('Artist', 'Two') }));
    await vi.advanceTimersByTimeAsync(1000);
    socket.serverClose(1001);
    await vi.advanceTimersByTimeAsync(1500); // partysocket's first retry: 0.5–1 s
    const next = FakeSocket.last;
    expect(next).not.toBe(socket);
    next.open();
    // The same waiting track, then a newer one that changed while the link was down.
    next.receive(snapshot(9, song('Two'), HEARTBEAT));
    await settle();
    expect(text()).toBe('One 3');
    next.receive(snapshot(10, song('Three'), HEARTBEAT));
    await settle();
    expect(text()).toBe('One 3');
    expect(el.status).toBe('live');
    const sinceTwo = 1000 + 1500 + 40;
    await vi.advanceTimersByTimeAsync(5000 - sinceTwo);
    expect(text()).toBe('Two 3');
    await vi.advanceTimersByTimeAsync(sinceTwo);
    expect(text()).toBe('Three 3');
  });

  it('finds a player added to the page after the element', async () => {
    const { player, socket, text } = await setup({ attributes: { delay: '2' }, audio: false });
    document.body.append(player);
    await play(player);
    socket.receive(patch(2, { track: track('Artist', 'Two') }));
    await settle();
    expect(text()).toBe('One 3');
    await vi.advanceTimersByTimeAsync(2000);
    expect(text()).toBe('Two 3');
  });

  it('by default waits as long as the player lags: time since loadstart minus audio played, plus the server burst', async () => {
    const { player, socket, text, changes } = await setup();
    await play(player);
    // 3 s after the load started, 1 s of audio has played: 2 s went to start-up and stalls.
    await vi.advanceTimersByTimeAsync(3000 - 20);
    player.currentTime = 1;
    const burst = (SERVER_BURST_BYTES * 8) / 320; // ms at 320 kbit/s
    socket.receive(patch(2, { track: track('Artist', 'Two'), bitrate: 320 }));
    await settle();
    const expected = Math.round(2000 + burst);
    await vi.advanceTimersByTimeAsync(expected - 20 - 1);
    expect(text()).toBe('One 3');
    await vi.advanceTimersByTimeAsync(1);
    await settle();
    expect(text()).toBe('Two 3');
    expect(changes.at(-1)?.delay).toBeGreaterThanOrEqual(expected - 1);
    expect(changes.at(-1)?.delay).toBeLessThanOrEqual(expected + 20);
  });
});

describe('when the stream was requested', () => {
  const burst = (SERVER_BURST_BYTES * 8) / DEFAULT_BITRATE;

  it('preload="none": at the first play, however long after loadstart (nothing is fetched before it)', async () => {
    const { player } = await setup({ attributes: { delay: '' } });
    player.dispatchEvent(new Event('loadstart')); // the page loaded; preload="none" fetches nothing yet
    await vi.advanceTimersByTimeAsync(30_000); // the listener reads the page for half a minute
    await player.play(); // happy-dom's readyState is HAVE_NOTHING: the request starts now
    await vi.advanceTimersByTimeAsync(1000);
    player.currentTime = 0.5; // 0.5 s of start-up
    expect(playerDelay(player, nowPlaying())).toBeCloseTo(500 + burst, 0);
  });

  it('a player that had loaded data before play: at its loadstart (it has been behind since)', async () => {
    const { player } = await setup({ attributes: { delay: '' } });
    player.dispatchEvent(new Event('loadstart'));
    await vi.advanceTimersByTimeAsync(3000);
    Object.defineProperty(player, 'readyState', { value: 4 }); // HAVE_ENOUGH_DATA
    await player.play();
    await vi.advanceTimersByTimeAsync(1000);
    player.currentTime = 1;
    expect(playerDelay(player, nowPlaying())).toBeCloseTo(3000 + burst, 0);
  });
});

describe('playerDelay', () => {
  it('is the lag behind live: since loadstart minus played, plus the burst at the bitrate (128 kbit/s when unknown)', () => {
    const player = document.createElement('audio');
    player.dispatchEvent(new Event('loadstart')); // no listener yet: counted from now
    const now = Date.now();
    const state = nowPlaying();
    expect(playerDelay(player, state, now)).toBeCloseTo((SERVER_BURST_BYTES * 8) / DEFAULT_BITRATE, 6);
    player.currentTime = 4;
    expect(playerDelay(player, { ...state, bitrate: 64 }, now + 10_000)).toBeCloseTo(6000 + (SERVER_BURST_BYTES * 8) / 64, 6);
    // Never negative, never above a minute.
    player.currentTime = 100;
    expect(playerDelay(player, state, now + 10_000)).toBe(0);
    player.currentTime = 0;
    expect(playerDelay(player, state, now + 3_600_000)).toBe(60_000);
  });
});

describe('Media Session', () => {
  it('follows the displayed track while the linked player plays, with artwork from a template; cleared on pause', async () => {
    const { player, socket } = await setup({
      attributes: { delay: '2', artwork: 'https://img.example/{station}/{artist}/{title}.jpg' },
    });
    expect(session.metadata).toBe('page-owned'); // not playing: untouched
    await play(player);
    expect((session.metadata as FakeMediaMetadata).init).toEqual({
      title: 'One',
      artist: 'Artist',
      album: 'Radio Test',
      artwork: [{ src: 'https://img.example/live/Artist/One.jpg' }],
    });
    socket.receive(patch(2, { track: track('AC/DC', 'Back?In#Black') }));
    await vi.advanceTimersByTimeAsync(1000);
    expect((session.metadata as FakeMediaMetadata).init.title).toBe('One'); // the listener still hears One
    await vi.advanceTimersByTimeAsync(1000);
    await settle();
    // Metadata cannot escape its path segment: / ? # are encoded.
    expect((session.metadata as FakeMediaMetadata).init).toMatchObject({
      title: 'Back?In#Black',
      artist: 'AC/DC',
      artwork: [{ src: 'https://img.example/live/AC%2FDC/Back%3FIn%23Black.jpg' }],
    });
    player.pause();
    await settle();
    expect(session.metadata).toBeNull();
  });

  it('is never touched without a linked player', async () => {
    const el = document.createElement('now-playing');
    el.setAttribute('src', `https://relay${++n}.test/ws`);
    document.body.append(el);
    cleanup.push(el);
    await settle();
    FakeSocket.last.open();
    FakeSocket.last.receive(snapshot(1, song('One'), HEARTBEAT));
    await settle();
    expect(el.nowPlaying?.track?.title).toBe('One');
    el.remove();
    await settle();
    expect(session.metadata).toBe('page-owned');
  });

  it('is cleared when the element leaves the page while its player plays', async () => {
    const { el, player } = await setup({ attributes: { artwork: 'https://img.example/logo.png' } });
    await play(player);
    expect((session.metadata as FakeMediaMetadata).init.artwork).toEqual([{ src: 'https://img.example/logo.png' }]);
    el.remove();
    expect(session.metadata).toBeNull();
  });
});

// The type of the elements under test, for the helpers above.
export type { NowPlayingElement };
