import { unsafeCSS } from 'lit';

/**
 * The shadow styles of `<now-playing-history>` (minified at build time like styles.ts). A plain list:
 * the page's font and colour, one row per track, the time first and dimmed.
 */
export const historyStyles = unsafeCSS(/* css */ `
  :host {
    display: block;
    color: var(--now-playing-color, inherit);
  }
  :host([hidden]) {
    display: none;
  }
  ol {
    list-style: var(--now-playing-history-list-style, none);
    margin: 0;
    padding: 0;
  }
  li {
    display: flex;
    gap: var(--now-playing-history-gap, .6em);
    align-items: baseline;
    padding-block: var(--now-playing-history-row-padding, .15em);
  }
  time {
    flex: none;
    color: var(--now-playing-history-time-color, inherit);
    opacity: var(--now-playing-history-time-opacity, .7);
    font-variant-numeric: tabular-nums;
  }
  .text {
    min-width: 0;
    overflow-wrap: anywhere;
  }
  [aria-current] .text {
    font-weight: var(--now-playing-history-current-weight, bold);
  }
`);
