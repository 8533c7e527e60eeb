import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CloseCode } from '@now-playing/protocol';
import '../src/now-playing.js';
import type { NowPlayingElement } from '../src/now-playing.js';
import { FakeSocket, nowPlaying, patch, snapshot } from './fake-socket.js';

let n = 0;
let elements: NowPlayingElement[] = [];

/** Let partysocket's connect chain, lit's render and the marquee's measuring frame run. */
const settle = () => vi.advanceTimersByTimeAsync(20);

async function mount(attributes: Record<string, string> = {}, fallback = 'Radio Test') {
  const el = document.createElement('now-playing');
  el.setAttribute('src', `https://relay${++n}.test/ws`);
  el.setAttribute('station', 'live');
  for (const [name, value] of Object.entries(attributes)) el.setAttribute(name, value);
  el.textContent = fallback;
  document.body.append(el);
  elements.push(el);
  await settle();
  await el.updateComplete;
  return { el, socket: FakeSocket.last };
}

async function receive(el: NowPlayingElement, socket: FakeSocket, message: unknown) {
  socket.receive(message);
  await el.updateComplete;
  await settle();
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
    expect(el.nowPlaying).toBeUndefined();
    expect(textPart(el)).toBeNull();
    expect(shadow(el).querySelector('slot')).not.toBeNull();
    expect(shadow(el).querySelector('[part~="status"]')).not.toBeNull();
  });

  it('renders the snapshot, reflects status and fires composed events', async () => {
    const { el, socket } = await mount();
    const statuses: string[] = [];
    const changes: CustomEvent[] = [];
    document.addEventListener('now-playing-status', (e) => statuses.push(e.detail.status));
    document.addEventListener('now-playing-change', (e) => changes.push(e));
    socket.open();
    await receive(el, socket, snapshot(7));
    expect(el.getAttribute('status')).toBe('live');
    expect(el.nowPlaying).toEqual(nowPlaying());
    expect(textPart(el)?.textContent).toBe('Artist A – Song One');
    expect(textPart(el)?.getAttribute('title')).toBe('Artist A – Song One');
    expect(shadow(el).querySelector('slot')).toBeNull();
    expect(statuses).toEqual(['live']);
    expect(changes).toHaveLength(1);
    expect(changes[0]!.bubbles && changes[0]!.composed).toBe(true);
    expect(changes[0]!.detail).toEqual({ nowPlaying: nowPlaying(), previousTrack: undefined });
  });

  it('keeps the same DOM when a patch does not change the displayed text', async () => {
    const { el, socket } = await mount();
    socket.open();
    await receive(el, socket, snapshot(7));
    const before = textPart(el);
    const changes = vi.fn();
    el.addEventListener('now-playing-change', changes);
    socket.receive(patch(8, { listeners: 42 }));
    expect(el.nowPlaying?.listeners).toBe(42);
    expect(el.isUpdatePending).toBe(false);
    await el.updateComplete;
    expect(textPart(el)).toBe(before);
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
    expect(textPart(el)).not.toBe(before);
    expect(live.textContent).toBe('B – Two');
    expect(changes).toHaveLength(1);
    expect(changes[0]!.detail.previousTrack).toEqual(nowPlaying().track);
  });

  it('renders hostile metadata as text', async () => {
    const hostile = '<img src=x onerror=window.__xss=1>';
    const { el, socket } = await mount();
    socket.open();
    await receive(el, socket, snapshot(1, nowPlaying({ track: { text: hostile } })));
    await receive(el, socket, patch(2, { track: { text: 'x', title: hostile, artist: '<script>alert(1)</script>' } }));
    expect(textPart(el)?.textContent).toBe(`<script>alert(1)</script> – ${hostile}`);
    expect(shadow(el).querySelector('img, script')).toBeNull();
    await receive(el, socket, patch(3, { track: { text: hostile, title: null, artist: null } }));
    expect(textPart(el)?.textContent).toBe(hostile);
    expect(shadow(el).querySelector('img')).toBeNull();
    expect((window as unknown as { __xss?: number }).__xss).toBeUndefined();
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

  it('falls back to the slot when there is no track', async () => {
    const { el, socket } = await mount();
    socket.open();
    await receive(el, socket, snapshot(7));
    await receive(el, socket, patch(8, { track: null, online: false }));
    expect(el.getAttribute('status')).toBe('offline');
    expect(textPart(el)).toBeNull();
    expect(shadow(el).querySelector('slot')).not.toBeNull();
  });

  it('reflects stale, reconnecting and offline (4404)', async () => {
    const { el, socket } = await mount();
    socket.open();
    await receive(el, socket, snapshot(7, nowPlaying({ stale: true })));
    expect(el.getAttribute('status')).toBe('stale');
    socket.serverClose(1001);
    expect(el.getAttribute('status')).toBe('reconnecting');
    expect(textPart(el)?.textContent).toBe('Artist A – Song One'); // last known data stays
    await vi.advanceTimersByTimeAsync(1000);
    FakeSocket.last.open();
    FakeSocket.last.serverClose(CloseCode.UnknownStation);
    expect(el.getAttribute('status')).toBe('offline');
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

  it('is offline with a warning without src when the script is not served over http(s)', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const el = document.createElement('now-playing');
    document.body.append(el);
    elements.push(el);
    await settle();
    expect(el.getAttribute('status')).toBe('offline');
    expect(FakeSocket.instances).toHaveLength(0);
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('no src'));
  });

  describe('marquee', () => {
    /** Fake layout: the text is `textWidth` px wide, the viewport 100 px, copies `gap` px apart. */
    function layout(textWidth: number, gap = 40) {
      vi.spyOn(Element.prototype, 'getBoundingClientRect').mockImplementation(function (this: Element) {
        const copy = this.classList.contains('copy');
        const text = this.classList.contains('text');
        return { left: copy ? textWidth + gap : 0, width: text ? textWidth : 0 } as DOMRect;
      });
      vi.spyOn(HTMLElement.prototype, 'clientWidth', 'get').mockImplementation(function (this: HTMLElement) {
        return this.classList.contains('viewport') ? 100 : 0;
      });
    }

    const copies = (el: NowPlayingElement) => shadow(el).querySelectorAll('.text');

    it('scrolls overflowing text: two copies, the second aria-hidden, duration from speed', async () => {
      layout(500);
      const { el, socket } = await mount({ speed: '20' });
      socket.open();
      await receive(el, socket, snapshot(7));
      await el.updateComplete;
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
      expect(el.hasAttribute('data-scrolling')).toBe(false);
      expect(copies(el)).toHaveLength(1);

      vi.restoreAllMocks();
      layout(500);
      const never = await mount({ scroll: 'never' });
      never.socket.open();
      await receive(never.el, never.socket, snapshot(7));
      expect(never.el.scrollMode).toBe('never');
      expect(never.el.hasAttribute('data-scrolling')).toBe(false);
      expect(copies(never.el)).toHaveLength(1);
    });

    it('scrolls short text with scroll="always" and keeps the marquee DOM on unrelated patches', async () => {
      layout(80);
      const { el, socket } = await mount({ scroll: 'always' });
      socket.open();
      await receive(el, socket, snapshot(7));
      await el.updateComplete;
      expect(el.hasAttribute('data-scrolling')).toBe(true);
      const track = shadow(el).querySelector('.track');
      await receive(el, socket, patch(8, { listeners: 9, startedAt: '2024-01-01T00:00:00Z' }));
      expect(shadow(el).querySelector('.track')).toBe(track);
    });

    it('does not animate under prefers-reduced-motion', async () => {
      layout(500);
      vi.stubGlobal('matchMedia', (query: string) => ({
        matches: query.includes('reduce'),
        media: query,
        addEventListener() {},
        removeEventListener() {},
      }));
      const { el, socket } = await mount({ scroll: 'always' });
      socket.open();
      await receive(el, socket, snapshot(7));
      await el.updateComplete;
      expect(el.hasAttribute('data-scrolling')).toBe(false);
      expect(copies(el)).toHaveLength(1);
      expect(textPart(el)?.getAttribute('title')).toBe('Artist A – Song One');
    });
  });
});
