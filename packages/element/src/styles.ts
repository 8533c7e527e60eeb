import { unsafeCSS } from 'lit';

/**
 * The shadow styles of `<now-playing>`. `unsafeCSS` on a constant string gives the same CSSResult as
 * the `css` tag (nothing is interpolated) and spares the bundle the tag's code. The bundle build
 * (vite.config.ts) collapses the whitespace of the `/* css *\/` template below.
 */
export const styles = unsafeCSS(/* css */ `
  :host {
    display: block;
    overflow: hidden;
    white-space: nowrap;
    color: var(--now-playing-color, inherit);
  }
  :host([hidden]) {
    display: none;
  }
  .row {
    display: flex;
    align-items: center;
  }
  .status {
    flex: none;
    width: var(--now-playing-status-size, .5em);
    height: var(--now-playing-status-size, .5em);
    margin-inline-end: .4em;
    border-radius: 50%;
    background: var(--now-playing-status-color-connecting, transparent);
  }
  :host([status=live]) .status {
    background: var(--now-playing-status-color-live, #2ea043);
  }
  :host([status=stale]) .status {
    background: var(--now-playing-status-color-stale, #d29922);
  }
  :host([status=reconnecting]) .status {
    background: var(--now-playing-status-color-reconnecting, var(--now-playing-status-color-stale, #d29922));
  }
  :host([status=offline]) .status {
    background: var(--now-playing-status-color-offline, #8b949e);
  }
  .viewport {
    flex: 1 1 auto;
    min-width: 0;
    overflow: hidden;
    text-overflow: ellipsis;
  }
  /* An overflowing inline-block would be replaced by the ellipsis whole. */
  .viewport.scrolling {
    text-overflow: clip;
  }
  .track.scrolling {
    display: inline-block;
    animation: now-playing-marquee var(--now-playing-duration, 10s) linear infinite;
    will-change: transform;
  }
  .scrolling .text {
    margin-inline-end: var(--now-playing-gap, 2em);
  }
  :host(:hover) .track,
  :host(:focus-within) .track {
    animation-play-state: paused;
  }
  :host(:dir(rtl)) {
    --_np-direction: 1;
  }
  /* No "from": it is the track's own, untransformed position. */
  @keyframes now-playing-marquee {
    to {
      transform: translateX(calc(var(--_np-direction, -1) * 50%));
    }
  }
  /* The element does not scroll under reduced motion (it watches the query); this covers the frame
     between a change of the setting and the element noticing it. */
  @media (prefers-reduced-motion: reduce) {
    .track.scrolling {
      animation: none;
    }
    .copy {
      display: none;
    }
  }
  .sr-only {
    position: absolute;
    width: 1px;
    height: 1px;
    margin: -1px;
    overflow: hidden;
    clip-path: inset(50%);
  }
`);
