// @ts-check
// Optional script for a plain page: shows the listener count from the element's change event. Plain
// JavaScript, checked by TypeScript (`pnpm check`) against the package's types.
/// <reference types="@now-playing/element" />

const listeners = /** @type {HTMLElement} */ (document.getElementById('listeners'));

document.addEventListener('now-playing-change', (event) => {
  // Typed: `event.detail` is NowPlayingChangeDetail (the events bubble to the document).
  const count = event.detail.nowPlaying?.listeners;
  listeners.hidden = count === undefined;
  listeners.textContent = `${count} listening`;
});
