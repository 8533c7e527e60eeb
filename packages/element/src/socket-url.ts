/**
 * Where `<now-playing>` connects: the WebSocket URL for a `src` and `station`, and the default `src`
 * of the self-contained bundles the relay serves.
 */
import { WS_PATH } from '@now-playing/protocol';

/**
 * The WebSocket URL for `src` and `station`. `http(s):` is mapped to `ws(s):`; a relative `src` is
 * resolved against the page. A bare relay address (`https://relay.example`, path `/`) means its
 * endpoint `/ws`; any other path is used as given (a relay behind a proxy prefix, say). `station`,
 * when given, replaces any `?station=` in `src`. Throws on a URL that is not http(s) or ws(s).
 */
export function socketUrl(src: string, station?: string): string {
  const url = new URL(src, globalThis.location?.href);
  const scheme = url.protocol.replace(/^http/, 'ws');
  if (!/^wss?:$/.test(scheme)) throw new TypeError(`src must be an http(s) or ws(s) URL, not ${url.protocol}`);
  url.protocol = scheme;
  url.hash = '';
  if (url.pathname === '/') url.pathname = WS_PATH;
  if (station) url.searchParams.set('station', station);
  return url.href;
}

/**
 * `true` in the self-contained bundles (vite.config.ts defines it), which the relay serves at
 * `/now-playing.js` and `/now-playing.iife.js`; undeclared in the package's modules. Only those
 * bundles know that the origin they were loaded from is a relay: in an app's bundle, `import.meta.url`
 * is the app's own file.
 */
declare const __NOW_PLAYING_STANDALONE__: boolean | undefined;

// Captured while the script runs: `import.meta.url` in the ES bundle; in the IIFE (a classic script,
// where the bundler empties `import.meta`) `document.currentScript`.
const scriptUrl =
  typeof __NOW_PLAYING_STANDALONE__ === 'boolean' && __NOW_PLAYING_STANDALONE__
    ? import.meta.url || (globalThis.document?.currentScript as HTMLScriptElement | null)?.src
    : undefined;

/**
 * The relay endpoint next to a bundle the relay served: `ws` resolved against the script's URL, so a
 * relay behind a path prefix (`https://site/radio/now-playing.js` → `https://site/radio/ws`) works as
 * well as one at the root. Undefined for a script that did not come over http(s).
 */
export function relayBesideScript(script: string | undefined): string | undefined {
  return script && /^https?:/i.test(script) ? new URL(WS_PATH.slice(1), script).href : undefined;
}

/** The `src` an element without one uses. Undefined in the package's modules (a bundled app must give `src`). */
export const defaultSrc: string | undefined = relayBesideScript(scriptUrl);
