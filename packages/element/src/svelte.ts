/**
 * `@now-playing/element/svelte`: everything `@now-playing/element` exports (importing it registers
 * `<now-playing>`), plus `<now-playing>` in Svelte's element map (`svelte/elements`), so
 * `svelte-check` checks its attributes, properties and events (Svelte 5 `on<event>` attributes).
 * Opt-in: only a project that imports this entry sees it.
 *
 * ```svelte
 * <now-playing src="wss://relay.example/ws" station="live" onnow-playing-status={(e) => e.detail.status}></now-playing>
 * ```
 */
import type { HTMLAttributes } from 'svelte/elements';
import type { NowPlayingChangeDetail, NowPlayingElement, NowPlayingStatusDetail, ScrollMode } from './now-playing.js';

export * from './index.js';

/**
 * The attributes of `<now-playing>` in Svelte. Svelte sets a value as a property when the element
 * has a setter for it (`scrollMode`, `speed`, …) and as an attribute otherwise (`scroll`).
 */
export interface NowPlayingSvelteAttributes extends HTMLAttributes<NowPlayingElement> {
  /** The relay's WebSocket endpoint (`wss://relay.example/ws`). Required with a bundler. */
  src?: string | null;
  /** The station id; may be omitted when the relay serves one station. */
  station?: string | null;
  /** Template over `{artist}`, `{title}`, `{text}`, `{station}`, `{listeners}`. */
  format?: string | null;
  /** `auto` (scroll only when the text overflows), `always` or `never`: the `scroll` attribute. */
  scroll?: ScrollMode | null;
  /** The same as a property. */
  scrollMode?: ScrollMode | null;
  /** Marquee speed in pixels per second. */
  speed?: number | null;
  /** The displayed text changed. */
  'onnow-playing-change'?: ((event: CustomEvent<NowPlayingChangeDetail>) => void) | null;
  /** `status` (or its offline reason) changed. */
  'onnow-playing-status'?: ((event: CustomEvent<NowPlayingStatusDetail>) => void) | null;
}

declare module 'svelte/elements' {
  interface SvelteHTMLElements {
    'now-playing': NowPlayingSvelteAttributes;
  }
}
