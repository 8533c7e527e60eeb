import { defineConfig } from 'vite';

// The demo page (demo/). `pnpm demo` starts it together with a fake station and the relay
// (demo/start.ts), passing their URLs as VITE_RELAY_URL and VITE_FAKE_URL.
// Unit tests have their own config (vitest.config.ts); the element's bundles are built by
// packages/element/vite.config.ts.
export default defineConfig({
  root: 'demo',
  server: { host: '127.0.0.1', port: 5173, strictPort: false },
  clearScreen: false,
});
