/**
 * The entry of the self-contained bundles (`dist/bundle/now-playing.js`, `.iife.js`) that the relay
 * serves for `<script>` tags: registers `<now-playing>` and exports only its class. The rest of the
 * API (connection, formatter, types) is for apps, which import the package itself.
 */
export { NowPlayingElement } from './now-playing.js';
