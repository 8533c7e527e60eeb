/**
 * `@now-playing/element/react`: everything `@now-playing/element` exports (importing it registers
 * `<now-playing>`), plus `<now-playing>` in React's own JSX namespace: its attributes, properties
 * and events, checked in TSX. Opt-in: only a project that imports this entry sees the typings, and
 * they extend React's `JSX`, never a global one (which would leak into Preact or Solid projects).
 *
 * ```tsx
 * import '@now-playing/element/react';
 * <now-playing src="wss://relay.example/ws" station="live" onnow-playing-status={(e) => e.detail.status} />
 * ```
 */
import type { DetailedHTMLProps, HTMLAttributes } from 'react';
import type { NowPlayingChangeDetail, NowPlayingElement, NowPlayingStatusDetail, ScrollMode } from './now-playing.js';

export * from './index.js';

/**
 * The props of `<now-playing>` in TSX. React 19 sets a prop as a property when the element has one,
 * so the marquee mode is `scrollMode` (a `scroll` prop would overwrite `Element.scroll()`), and
 * `on<event>` props add listeners for the element's events. React 18 sets attributes only and has
 * no custom-element events: there, use `ref` and `addEventListener`.
 */
export interface NowPlayingReactProps extends DetailedHTMLProps<HTMLAttributes<NowPlayingElement>, NowPlayingElement> {
  /** The relay's WebSocket endpoint (`wss://relay.example/ws`). Required with a bundler. */
  src?: string;
  /** The station id; may be omitted when the relay serves one station. */
  station?: string;
  /** Template over `{artist}`, `{title}`, `{text}`, `{station}`, `{listeners}`. */
  format?: string;
  /** `auto` (scroll only when the text overflows), `always` or `never`. */
  scrollMode?: ScrollMode;
  /** Marquee speed in pixels per second. */
  speed?: number;
  /** The displayed text changed. */
  'onnow-playing-change'?: (event: CustomEvent<NowPlayingChangeDetail>) => void;
  /** `status` (or its offline reason) changed. */
  'onnow-playing-status'?: (event: CustomEvent<NowPlayingStatusDetail>) => void;
}

declare module 'react' {
  namespace JSX {
    interface IntrinsicElements {
      'now-playing': NowPlayingReactProps;
    }
  }
}
