/**
 * `pnpm bench:upstream`: the relay's promise in numbers — upstream requests per poll interval do not
 * grow with the number of listeners. For 0 (the baseline), 200 and 2,000 WebSocket clients on
 * loopback, counts the requests the fake Icecast receives over a fixed window, the most in flight at
 * once, and how long one title change takes to reach the last client. Bounded: at most 2,000 clients,
 * a 3 s window per step, every socket closed at the end.
 */
import { startFakeIcecast } from '@now-playing/fake-icecast';
import { createRelay } from '@now-playing/relay';
import { WebSocket } from 'ws';

const POLL_INTERVAL = 250;
const WINDOW_MS = 3000;
const STEPS = [0, 200, 2000];

const fake = await startFakeIcecast({ mounts: { '/live': { title: 'Bench - Start', listeners: 1 } } });
const relay = createRelay({ upstreams: [fake.url], host: '127.0.0.1', port: 0, pollInterval: POLL_INTERVAL, logLevel: 'silent' });
await relay.start();
const url = `ws://127.0.0.1:${relay.address.port}/ws?station=live`;

interface Client {
  ws: WebSocket;
  waitFor(text: string): Promise<number>;
}

function connect(): Promise<Client> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    const waiters = new Map<string, (at: number) => void>();
    ws.on('message', (data) => {
      const text = data.toString();
      for (const [title, wake] of waiters) if (text.includes(title)) (waiters.delete(title), wake(performance.now()));
    });
    ws.once('open', () =>
      resolve({ ws, waitFor: (title) => new Promise<number>((r) => waiters.set(title, r)) }),
    );
    ws.once('error', reject);
  });
}

const rows: string[][] = [];
const clients: Client[] = [];
for (const target of STEPS) {
  while (clients.length < target) {
    const batch = Math.min(200, target - clients.length);
    clients.push(...(await Promise.all(Array.from({ length: batch }, connect))));
  }
  const title = `Bench - ${target} clients`;
  const arrivals = clients.map((c) => c.waitFor(title));
  fake.resetStats();
  const started = performance.now();
  fake.setTitle('/live', title);
  const times = (await Promise.all(arrivals)).map((t) => t - started).sort((a, b) => a - b);
  await new Promise((r) => setTimeout(r, Math.max(0, WINDOW_MS - (performance.now() - started))));
  const elapsed = performance.now() - started;
  const perInterval = fake.statusRequests / (elapsed / POLL_INTERVAL);
  const pct = (p: number) => (times.length ? `${times[Math.min(times.length - 1, Math.floor(p * times.length))]!.toFixed(0)} ms` : '–');
  rows.push([
    String(target),
    String(fake.statusRequests),
    perInterval.toFixed(2),
    String(fake.maxConcurrentStatusRequests),
    pct(0.5),
    pct(1 - 1e-9),
  ]);
}

for (const c of clients) c.ws.terminate();
await relay.stop(500);
await fake.close();

const header = ['clients', `requests in ${WINDOW_MS / 1000} s`, `per ${POLL_INTERVAL} ms interval`, 'max in flight', 'change → client p50', 'change → last client'];
console.log(`\n${header.join(' | ')}\n${header.map(() => '---').join(' | ')}`);
for (const row of rows) console.log(row.join(' | '));
console.log('\n(the change latency includes waiting for the next poll: up to one interval)');
