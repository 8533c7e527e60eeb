/**
 * `pnpm demo`: a fake Icecast station, the relay in front of it, and the demo page, in one process.
 * Ports: NOW_PLAYING_DEMO_PORT (page, default 5173), the relay on 8080 and the fake station on 8000
 * when free (else any free port). Ctrl-C stops everything.
 */
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { startFakeIcecast } from '@now-playing/fake-icecast';
import { createLogger, createRelay } from '@now-playing/relay';
import { createServer as createVite } from 'vite';
import { PLAYLIST } from './playlist.js';

const require = createRequire(import.meta.url);

async function firstFree<T>(ports: number[], start: (port: number) => Promise<T>): Promise<T> {
  for (const port of ports) {
    try {
      return await start(port);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    }
  }
  throw new Error('no free port');
}

const fake = await firstFree([8000, 0], (port) =>
  startFakeIcecast({
    port,
    mounts: { '/live': { title: PLAYLIST[0], serverName: 'Radio Example', genre: 'Eclectic', listeners: 12, bitrate: 128 } },
  }),
);

const relay = await firstFree([8080, 0], async (port) => {
  const r = createRelay(
    {
      upstreams: [fake.url],
      host: '127.0.0.1',
      port,
      pollInterval: 1000,
      heartbeat: 5000,
      maxBackoff: 4000,
      bundleDir: dirname(require.resolve('@now-playing/element/now-playing.js')),
    },
    // Human-readable on a terminal, JSON lines when piped, like the relay's CLI.
    { logger: createLogger(process.env.NOW_PLAYING_LOG_LEVEL ?? 'info', 'auto') },
  );
  await r.start();
  return r;
});

// Let the station feel alive: a new track every 25 s, a wobbling listener count.
let next = 1;
const rotation = setInterval(() => {
  const current = fake.mounts()['/live'];
  if (!current) return;
  fake.setMount('/live', { title: PLAYLIST[next++ % PLAYLIST.length], listeners: 10 + Math.floor(Math.random() * 8) });
}, 25_000);

process.env.VITE_RELAY_URL = relay.url;
process.env.VITE_FAKE_URL = fake.url;
const vite = await createVite({
  configFile: new URL('../vite.config.ts', import.meta.url).pathname,
  server: { port: Number(process.env.NOW_PLAYING_DEMO_PORT ?? 5173) },
});
await vite.listen();
const page = vite.resolvedUrls?.local[0] ?? 'http://localhost:5173/';

process.stdout.write(`
  now-playing demo
  ─────────────────
  Demo page     ${page}
  Relay         ${relay.url}   (WebSocket ${relay.url.replace('http', 'ws')}/ws?station=live)
  Fake Icecast  ${fake.url}/status-json.xsl

  Press Ctrl-C to stop.
`);

async function shutdown(): Promise<void> {
  clearInterval(rotation);
  await vite.close();
  await relay.stop(1000);
  await fake.close();
  process.exit(0);
}
process.once('SIGINT', () => void shutdown());
process.once('SIGTERM', () => void shutdown());
