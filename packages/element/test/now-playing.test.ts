import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CloseCode, PROTOCOL_VERSION } from '@now-playing/protocol';
import '../src/now-playing.js';
import type { NowPlayingElement } from '../src/now-playing.js';
import { FakeSocket, nowPlaying, patch, snapshot } from './fake-socket.js';

let n = 0;
let elements: NowPlayingElement[] = [];

/** Let partysocket's connect chain (a zero-delay timer, then promises) run; the fake clock fakes every timer. */
const settle = () => vi.advanceTimersByTimeAsync(20);

/** Run the next animation frame (where the marquee measures), then the update it may have asked for. */
async function frame(el: NowPlayingElement) {
  vi.advanceTimersToNextFrame();
  await el.updateComplete;
}

function create(attributes: Record<string, string> = {}, fallback = 'Radio Test') {
  const el = document.createElement('now-playing');
  el.setAttribute('src', `https://relay${++n}.test/ws`);
  el.setAttribute('station', 'live');
  for (const [name, value] of Object.entries(attributes)) el.setAttribute(name, value);
  el.textContent = fallback;
  elements.push(el);
  return el;
}

async function mount(attributes: Record<string, string> = {}, fallback = 'Radio Test') {
  const el = create(attributes, fallback);
  document.body.append(el);
  await settle();
  await el.updateComplete;
  return { el, socket: FakeSocket.last };
}

/** The relay sends `message`; wait for the update and the measuring frame after it. */
async function receive(el: NowPlayingElement, socket: FakeSocket, message: unknown) {
  socket.receive(message);
  await el.updateComplete;
  await frame(el);
}

const shadow = (el: NowPlayingElement) => el.shadowRoot!;
const textPart = (el: NowPlayingElement) => shadow(el).querySelector<HTMLElement>('[part~="text"]');

beforeEach(() => {
  vi.useFakeTimers();
  vi.stubGlobal('WebSocket', FakeSocket);
  FakeSocket.reset();
});

afterEach(async () => {
  for (const el of elements) el.remove();
  elements = [];
  await vi.advanceTimersByTimeAsync(10);
  vi.useRealTimers();
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

describe('<now-playing>', () => {
  it('is registered', () => {
    expect(customElements.get('now-playing')).toBeDefined();
    expect(document.createElement('now-playing').format).toBe('{artist} – {title}');
  });

  it('shows its slotted fallback and status "connecting" before the first snapshot', async () => {
    const { el, socket } = await mount();
    expect(socket.url).toBe(`wss://relay${n}.test/ws?station=live`);
    expect(el.getAttribute('status')).toBe('connecting');
    expect(el.status).toBe('connecting');
    expect(el.statusReason).toBeUndefined();
    expect(el.nowPlaying).toBeUndefined();
    expect(textPart(el)).toBeNull();
    expect(shadow(el).querySelector('slot')).not.toBeNull();
    expect(shadow(el).querySelector('[part~="status"]')).not.toBeNull();
  });

  it('renders the snapshot, reflects status and fires composed events once the DOM shows them', async () => {
    const { el, socket } = await mount();
    const seen: string[] = [];
    const changes: CustomEvent[] = [];
    // What the page sees when each event arrives: the event reports what is already on screen.
    document.addEventListener('now-playing-status', (e) =>
      seen.push(`status:${e.detail.status}:${e.detail.reason}:${el.getAttribute('status')}`),
    );
    document.addEventListener('now-playing-change', (e) => {
      changes.push(e);
      seen.push(`change:${textPart(el)?.textContent}`);
    });
    socket.open();
    await receive(el, socket, snapshot(7));
    expect(el.getAttribute('status')).toBe('live');
    expect(el.nowPlaying).toEqual(nowPlaying());
    expect(textPart(el)?.textContent).toBe('Artist A – Song One');
    expect(textPart(el)?.getAttribute('title')).toBe('Artist A – Song One');
    expect(shadow(el).querySelector('slot')).toBeNull();
    expect(seen).toEqual(['status:live:undefined:live', 'change:Artist A – Song One']);
    expect(changes[0]!.bubbles && changes[0]!.composed).toBe(true);
    // No player linked: shown at once (delay 0), when it reached the page.
    expect(changes[0]!.detail).toEqual({ nowPlaying: nowPlaying(), previousTrack: undefined, changedAt: expect.any(Number), delay: 0 });
    expect(changes[0]!.detail.changedAt).toBeLessThanOrEqual(Date.now());
  });

  it('keeps the same DOM when a patch does not change the displayed text', async () => {
    const { el, socket } = await mount();
    socket.open();
    await receive(el, socket, snapshot(7));
    const before = textPart(el);
    const changes = vi.fn();
    el.addEventListener('now-playing-change', changes);
    socket.receive(patch(8, { listeners: 42 }));
    expect(el.isUpdatePending).toBe(true); // every update is rendered along the same path…
    await el.updateComplete;
    expect(el.nowPlaying?.listeners).toBe(42);
    expect(textPart(el)).toBe(before); // …and an unchanged text keeps its DOM
    expect(changes).not.toHaveBeenCalled();
  });

  it('replaces the text on a track change and announces it once', async () => {
    const { el, socket } = await mount();
    socket.open();
    await receive(el, socket, snapshot(7));
    const live = shadow(el).querySelector('[aria-live="polite"]')!;
    expect(live.textContent).toBe(''); // the first text is read with the page, not announced
    const before = textPart(el);
    const changes: CustomEvent[] = [];
    el.addEventListener('now-playing-change', (e) => changes.push(e));
    await receive(el, socket, patch(8, { track: { text: 'B - Two', artist: 'B', title: 'Two' } }));
    expect(textPart(el)?.textContent).toBe('B – Two');
    expect(textPart(el)).toBe(before); // lit updates the text in place
    expect(live.textContent).toBe('B – Two');
    await receive(el, socket, patch(9, { listeners: 7 }));
    expect(live.textContent).toBe('B – Two');
    expect(changes).toHaveLength(1);
    expect(changes[0]!.detail.previousTrack).toEqual(nowPlaying().track);
  });

  // Only the DOM can be checked here: happy-dom runs no scripts and fires no onerror. That nothing runs
  // is proven in a real browser (e2e/render.spec.ts).
  it('renders hostile metadata as text nodes, never as markup', async () => {
    const hostile = '<img src=x onerror=window.__xss=1>';
    const { el, socket } = await mount();
    socket.open();
    await receive(el, socket, snapshot(1, nowPlaying({ track: { text: hostile } })));
    expect(textPart(el)?.textContent).toBe(hostile);
    await receive(el, socket, patch(2, { track: { text: 'x', title: hostile, artist: '<script>alert(1)</script>' } }));
    expect(textPart(el)?.textContent).toBe(`<script>alert(1)</script> – ${hostile}`);
    expect(textPart(el)?.getAttribute('title')).toBe(`<script>alert(1)</script> – ${hostile}`);
    expect(shadow(el).querySelectorAll('img, script')).toHaveLength(0);
    expect(textPart(el)?.childElementCount).toBe(0);
  });

  it('applies the format attribute, live', async () => {
    const { el, socket } = await mount({ format: '{station}: {title}' });
    socket.open();
    await receive(el, socket, snapshot(7));
    expect(textPart(el)?.textContent).toBe('Radio Test: Song One');
    el.format = '{title} ({listeners})';
    await el.updateComplete;
    expect(textPart(el)?.textContent).toBe('Song One (3)');
  });

  it('falls back to the slot when there is no track, offline because off air', async () => {
    const { el, socket } = await mount();
    socket.open();
    await receive(el, socket, snapshot(7));
    await receive(el, socket, patch(8, { track: null, online: false }));
    expect(el.getAttribute('status')).toBe('offline');
    expect(el.statusReason).toBe('off-air');
    expect(textPart(el)).toBeNull();
    expect(shadow(el).querySelector('slot')).not.toBeNull();
  });

  it('reflects stale, reconnecting and offline (4404), with the reason in the event', async () => {
    const { el, socket } = await mount();
    const statuses: string[] = [];
    el.addEventListener('now-playing-status', (e) => statuses.push(`${e.detail.status}:${e.detail.reason ?? ''}`));
    socket.open();
    await receive(el, socket, snapshot(7, nowPlaying({ stale: true })));
    expect(el.getAttribute('status')).toBe('stale');
    socket.serverClose(1001);
    await el.updateComplete;
    expect(el.getAttribute('status')).toBe('reconnecting');
    expect(textPart(el)?.textContent).toBe('Artist A – Song One'); // last known data stays
    await vi.advanceTimersByTimeAsync(1000);
    FakeSocket.last.open();
    FakeSocket.last.serverClose(CloseCode.UnknownStation);
    await el.updateComplete;
    expect(el.getAttribute('status')).toBe('offline');
    expect(el.statusReason).toBe('unknown-station');
    expect(statuses).toEqual(['stale:', 'reconnecting:', 'offline:unknown-station']);
  });

  it('shows its fallback for a relay of another protocol version, says why and warns once', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const { el, socket } = await mount();
    const reasons: unknown[] = [];
    el.addEventListener('now-playing-status', (e) => reasons.push(e.detail.reason));
    socket.open();
    await receive(el, socket, snapshot(7));
    expect(textPart(el)).not.toBeNull();
    await receive(el, socket, { ...snapshot(8), v: PROTOCOL_VERSION + 1 });
    expect(textPart(el)).toBeNull();
    expect(shadow(el).querySelector('slot')).not.toBeNull();
    expect(el.nowPlaying).toBeUndefined();
    expect(el.getAttribute('status')).toBe('offline');
    expect(el.statusReason).toBe('unsupported-version');
    expect(reasons).toEqual([undefined, 'unsupported-version']);
    await receive(el, socket, { ...snapshot(9), v: PROTOCOL_VERSION + 1 });
    expect(warn).toHaveBeenCalledTimes(1);
  });

  it('shares one socket between elements with the same src and station', async () => {
    const { el: a } = await mount();
    const b = document.createElement('now-playing');
    b.src = a.src!;
    b.station = 'live';
    document.body.append(b);
    elements.push(b);
    await settle();
    expect(FakeSocket.instances).toHaveLength(1);
    FakeSocket.last.open();
    FakeSocket.last.receive(snapshot(7));
    await a.updateComplete;
    await b.updateComplete;
    expect(textPart(b)?.textContent).toBe('Artist A – Song One');
    a.remove();
    await settle();
    expect(FakeSocket.last.readyState).toBe(FakeSocket.OPEN);
    b.remove();
    await settle();
    expect(FakeSocket.last.readyState).toBe(FakeSocket.CLOSED);
  });

  it('keeps its socket when moved in the DOM', async () => {
    const { el, socket } = await mount();
    socket.open();
    await receive(el, socket, snapshot(7));
    const box = document.createElement('div');
    document.body.append(box);
    box.append(el); // disconnected and connected again in one task
    await settle();
    expect(FakeSocket.instances).toHaveLength(1);
    expect(socket.readyState).toBe(FakeSocket.OPEN);
    await receive(el, socket, patch(8, { track: { text: 'B - Two', artist: 'B', title: 'Two' } }));
    expect(textPart(el)?.textContent).toBe('B – Two');
    box.remove();
  });

  it('moves to a new connection when src changes', async () => {
    const { el, socket } = await mount();
    socket.open();
    await receive(el, socket, snapshot(7));
    el.src = 'http://elsewhere.test/ws';
    await el.updateComplete;
    await settle();
    expect(socket.readyState).toBe(FakeSocket.CLOSED);
    expect(FakeSocket.last.url).toBe('ws://elsewhere.test/ws?station=live');
    expect(el.status).toBe('connecting');
    expect(textPart(el)).toBeNull();
  });

  describe('src', () => {
    // These tests run the package's modules, as an app's bundler does: only the relay-served bundles
    // default src to the relay (e2e/bundles.spec.ts).
    it('without src: one console error naming the attribute, offline "no-src", no socket', async () => {
      const error = vi.spyOn(console, 'error').mockImplementation(() => {});
      const el = document.createElement('now-playing');
      elements.push(el);
      document.body.append(el);
      await settle();
      await el.updateComplete;
      expect(el.getAttribute('status')).toBe('offline');
      expect(el.statusReason).toBe('no-src');
      expect(FakeSocket.instances).toHaveLength(0);
      el.format = '{title}'; // more updates say nothing more
      await el.updateComplete;
      expect(error).toHaveBeenCalledTimes(1);
      expect(error.mock.calls[0]![0]).toMatch(/\bsrc attribute\b/);
      expect(error.mock.calls[0]![1]).toBe(el);
      // Setting it connects.
      el.src = 'wss://late.test/ws';
      await el.updateComplete;
      await settle();
      expect(FakeSocket.last.url).toBe('wss://late.test/ws');
      expect(el.status).toBe('connecting');
      expect(el.statusReason).toBeUndefined();
    });

    it('src set by a script right after the element is upgraded counts: no error', async () => {
      const error = vi.spyOn(console, 'error').mockImplementation(() => {});
      const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
      const statuses: string[] = [];
      document.addEventListener('now-playing-status', (e) => statuses.push(e.detail.status));
      // As in an app: the element is on the page, then a script sets its src in the same task.
      const el = document.createElement('now-playing');
      elements.push(el);
      document.body.append(el);
      el.src = 'wss://set-later.test/ws';
      await settle();
      await el.updateComplete;
      expect(error).not.toHaveBeenCalled();
      expect(warn).not.toHaveBeenCalled();
      expect(statuses).toEqual([]); // never offline on the way
      expect(FakeSocket.instances.map((s) => s.url)).toEqual(['wss://set-later.test/ws']);
    });

    it('an src that is not http(s) or ws(s): one console error, offline "invalid-src"', async () => {
      const error = vi.spyOn(console, 'error').mockImplementation(() => {});
      const el = create({ src: 'ftp://relay.test/ws' });
      document.body.append(el);
      await settle();
      await el.updateComplete;
      expect(el.statusReason).toBe('invalid-src');
      expect(error).toHaveBeenCalledTimes(1);
      expect(error.mock.calls[0]![0]).toMatch(/ftp:\/\/relay\.test\/ws/);
      expect(FakeSocket.instances).toHaveLength(0);
    });
  });

  describe('marquee', () => {
    let measured = 0;

    /**
     * Fake layout: the text is `textWidth` px wide, the viewport 100 px, copies `gap` px apart.
     * `measured` counts the times the text's width was read: the proof that a decision was made.
     */
    function layout(textWidth: number, gap = 40) {
      measured = 0;
      vi.spyOn(Element.prototype, 'getBoundingClientRect').mockImplementation(function (this: Element) {
        const copy = this.classList.contains('copy');
        const text = this.classList.contains('text');
        if (text && !copy) measured++;
        return { left: copy ? textWidth + gap : 0, width: text ? textWidth : 0 } as DOMRect;
      });
      vi.spyOn(HTMLElement.prototype, 'clientWidth', 'get').mockImplementation(function (this: HTMLElement) {
        return this.classList.contains('viewport') ? 100 : 0;
      });
    }

    /** A reduced-motion preference that can be switched, counting how often it was consulted. */
    function motionPreference(reduce: boolean) {
      const query = new (class extends EventTarget {
        reduce = reduce;
        reads = 0;
        get matches() {
          this.reads++;
          return this.reduce;
        }
      })();
      vi.stubGlobal('matchMedia', () => query);
      return query;
    }

    const copies = (el: NowPlayingElement) => shadow(el).querySelectorAll('.text');

    it('scrolls overflowing text: two copies, the second aria-hidden, duration from speed', async () => {
      layout(500);
      const { el, socket } = await mount({ speed: '20' });
      socket.open();
      await receive(el, socket, snapshot(7));
      expect(el.hasAttribute('data-scrolling')).toBe(true);
      expect(copies(el)).toHaveLength(2);
      expect(copies(el)[1]!.getAttribute('aria-hidden')).toBe('true');
      expect(copies(el)[1]!.getAttribute('part')).toBeNull();
      const track = shadow(el).querySelector<HTMLElement>('.track')!;
      expect(track.style.getPropertyValue('--now-playing-duration')).toBe('27.00s'); // (500 + 40) / 20
    });

    it('does not scroll text that fits (auto) or when scroll="never"', async () => {
      layout(80);
      const { el, socket } = await mount();
      socket.open();
      await receive(el, socket, snapshot(7));
      expect(measured).toBeGreaterThan(0);
      expect(el.hasAttribute('data-scrolling')).toBe(false);
      expect(copies(el)).toHaveLength(1);

      layout(500);
      const never = await mount({ scroll: 'never' });
      never.socket.open();
      await receive(never.el, never.socket, snapshot(7));
      expect(never.el.scrollMode).toBe('never');
      expect(never.el.hasAttribute('data-scrolling')).toBe(false);
      expect(copies(never.el)).toHaveLength(1);
      // The same text in a box it overflows does scroll in auto mode, after the same wait.
      never.el.scrollMode = 'auto';
      await never.el.updateComplete;
      await frame(never.el);
      expect(never.el.hasAttribute('data-scrolling')).toBe(true);
    });

    it('scrolls short text with scroll="always"; restarts the marquee on a new text only', async () => {
      layout(80);
      const { el, socket } = await mount({ scroll: 'always' });
      socket.open();
      await receive(el, socket, snapshot(7));
      expect(el.hasAttribute('data-scrolling')).toBe(true);
      const track = shadow(el).querySelector('.track')!;
      // happy-dom runs no CSS animations: stand in for the marquee's, which has run for 5 s.
      const marquee = { currentTime: 5000 };
      vi.spyOn(track, 'getAnimations').mockReturnValue([marquee as unknown as Animation]);
      await receive(el, socket, patch(8, { listeners: 9, startedAt: '2024-01-01T00:00:00Z' }));
      expect(el.nowPlaying?.listeners).toBe(9);
      expect(shadow(el).querySelector('.track')).toBe(track);
      expect(marquee.currentTime).toBe(5000); // left running where it was
      await receive(el, socket, patch(9, { track: { text: 'B - Two', artist: 'B', title: 'Two' } }));
      expect(shadow(el).querySelector('.track')).toBe(track);
      expect(marquee.currentTime).toBe(0); // a new text starts from its beginning
      expect(el.hasAttribute('data-scrolling')).toBe(true);
    });

    it('does not animate under prefers-reduced-motion, and follows the preference when it changes', async () => {
      layout(500);
      const motion = motionPreference(true);
      const { el, socket } = await mount({ scroll: 'always' });
      socket.open();
      await receive(el, socket, snapshot(7));
      expect(motion.reads).toBeGreaterThan(0); // the decision was made, with the preference
      expect(el.hasAttribute('data-scrolling')).toBe(false);
      expect(copies(el)).toHaveLength(1);
      expect(textPart(el)?.getAttribute('title')).toBe('Artist A – Song One');

      motion.reduce = false;
      motion.dispatchEvent(new Event('change'));
      await frame(el);
      expect(el.hasAttribute('data-scrolling')).toBe(true);
      motion.reduce = true;
      motion.dispatchEvent(new Event('change'));
      await frame(el);
      expect(el.hasAttribute('data-scrolling')).toBe(false);
    });
  });
});
