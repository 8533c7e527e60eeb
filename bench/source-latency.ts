/**
 * `pnpm bench:sources`: how long an upstream title change takes to reach a client, per source kind, in
 * one run: Icecast status-json polled every second (the default) against in-stream ICY metadata at the
 * two usual stream settings (128 kbps with Icecast's icy-metaint 16,000 and SHOUTcast's 8,192). For
 * ICY it also measures the relay's own share: from the moment the server writes the metadata block
 * to the client.
 *
 * Everything is on loopback in this process: the fake server (streams paced at 16,000 bytes a second,
 * as a real server sends 128 kbps), the relay, one WebSocket client. Each change waits for the previous
 * one to arrive (which happens right after a poll or a block), then a pseudo-random pause of 0–1,000 ms
 * (fixed seed), so changes fall uniformly over every phase of the poll interval and of the block
 * period. Bounded: BENCH_CHANGES changes per source (default 40), each within 10 s.
 */
import { once } from 'node:events';
import { startFakeIcecast, type FakeIcecast, type FakeIcecastOptions } from '@now-playing/fake-icecast';
import { createRelay } from '@now-playing/relay';
import { WebSocket } from 'ws';

const CHANGES = Number(process.env.BENCH_CHANGES ?? 40);
const BYTES_PER_SECOND = 16_000; // 128 kbps

interface Source {
  name: string;
  bound: string;
  fake: FakeIcecastOptions;
  upstream: (fake: FakeIcecast) => string;
}

const SOURCES: Source[] = [
  { name: 'Icecast status-json, polled every 1 s', bound: 'the poll interval', fake: {}, upstream: (fake) => fake.url },
  {
    name: 'ICY in-stream, icy-metaint 16,000 (Icecast)',
    bound: 'the block period: 16,000 bytes at 128 kbps = 1 s',
    fake: { metaint: 16_000, streamBytesPerSecond: BYTES_PER_SECOND },
    upstream: (fake) => `icy+${fake.streamUrl('live')}`,
  },
  {
    name: 'ICY in-stream, icy-metaint 8,192 (SHOUTcast)',
    bound: 'the block period: 8,192 bytes at 128 kbps = 0.5 s',
    fake: { metaint: 8192, streamBytesPerSecond: BYTES_PER_SECOND },
    upstream: (fake) => `icy+${fake.streamUrl('live')}`,
  },
];

/** mulberry32: the same pauses on every run. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function measure(source: Source): Promise<{ total: number[]; relay: number[] }> {
  const fake = await startFakeIcecast({ mounts: { '/live': { title: 'Bench - Start', serverName: 'Bench' } }, ...source.fake });
  const written = new Map<string, number>();
  fake.onStreamTitle((_mount, title) => written.set(title, performance.now()));
  const relay = createRelay({ upstreams: [source.upstream(fake)], host: '127.0.0.1', port: 0, pollInterval: 1000, logLevel: 'silent' });
  await relay.start();
  const ws = new WebSocket(`ws://127.0.0.1:${relay.address.port}/ws?station=live`);
  const waiting = new Map<string, (at: number) => void>();
  ws.on('message', (data) => {
    const text = data.toString();
    for (const [title, arrived] of waiting) {
      if (text.includes(JSON.stringify(title))) {
        waiting.delete(title);
        arrived(performance.now());
      }
    }
  });
  await once(ws, 'open');
  const pause = random(8);
  const total: number[] = [];
  const share: number[] = [];
  try {
    for (let i = 1; i <= CHANGES; i++) {
      const title = `Bench - ${source.name} #${i}`;
      const arrival = new Promise<number>((resolve, reject) => {
        waiting.set(title, resolve);
        setTimeout(() => reject(new Error(`${source.name}: change ${i} did not arrive within 10 s`)), 10_000).unref();
      });
      const changed = performance.now();
      fake.setTitle('live', title);
      const arrived = await arrival;
      total.push(arrived - changed);
      const wire = written.get(title);
      if (wire !== undefined) share.push(arrived - wire);
      await sleep(pause() * 1000);
    }
  } finally {
    ws.terminate();
    await relay.stop(200);
    await fake.close();
  }
  return { total, relay: share };
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!;
}

const ms = (value: number) => `${Math.round(value)} ms`;
const rows: string[][] = [];
for (const source of SOURCES) {
  process.stderr.write(`measuring ${source.name} (${CHANGES} changes)…\n`);
  const { total, relay } = await measure(source);
  rows.push([
    source.name,
    ms(percentile(total, 0.5)),
    ms(percentile(total, 0.99)),
    ms(Math.max(...total)),
    relay.length ? `${ms(percentile(relay, 0.5))} / ${ms(percentile(relay, 0.99))}` : '–',
    source.bound,
  ]);
}

const header = ['source', 'change → client p50', 'p99', 'max', 'block written → client p50 / p99', 'bounded by'];
console.log(`\n| ${header.join(' | ')} |\n|${header.map(() => '---').join('|')}|`);
for (const row of rows) console.log(`| ${row.join(' | ')} |`);
console.log(`\nMeasured ${new Date().toISOString().slice(0, 10)} by pnpm bench:sources: ${CHANGES} changes per source, Node ${process.version}, loopback, one process.`);
