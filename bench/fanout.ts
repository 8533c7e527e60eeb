/**
 * `pnpm bench:fanout` (after `pnpm build`): the relay at 1,000 to 19,900 listeners against a plain
 * `ws` relay measured in the same run, so every figure is also a ratio that does not drift with the
 * machine. For each client count and each relay (a fresh process each time, polling the same fake
 * Icecast every POLL_INTERVAL ms):
 *
 * 1. WARMUP title changes with one client, so the history is full (ten entries) as on a real station;
 * 2. N clients connect from load-generator processes (fanout-clients.ts, at most 5,000 per process):
 *    time until every client has its snapshot;
 * 3. relay memory per connection: the relay process's RSS (/proc) after minus before, divided by N;
 * 4. CHANGES title changes at the upstream, one at a time, each just after a poll (so each waits one
 *    whole poll interval): change → first and last client (CLOCK_MONOTONIC in every process), while a prober process (fanout-probe.ts) asks /healthz every 10 ms: the
 *    longest answer is the longest event-loop stall seen from outside;
 * 5. the patch size every client received for a track change (the plain relay sends protocol v1's
 *    patch, with the whole history; ours sends v2's).
 *
 * Our relay runs with its limits on at their defaults, except --max-connections where N needs more
 * than the default (the open-file limit − 256). Loopback only; every phase has a time limit, and every
 * process started here is ended by its PID. Environment: FANOUT_CLIENTS=1000,5000 to choose the steps,
 * FANOUT_CHANGES (default 20; p99 of 20 is the slowest); for looking into a result,
 * FANOUT_RELAY_ARGS (more flags for our relay, e.g. `--heartbeat 600000`), FANOUT_SETTLE_MS (idle time
 * before the memory is read, default 1000), FANOUT_NODE_ARGS='--trace-gc' (node flags for both
 * relays) and FANOUT_RELAY_OUTPUT=1 (their output on stderr).
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { startFakeIcecast, type FakeIcecast } from '@now-playing/fake-icecast';
import { WebSocket } from 'ws';
import { CLIENTS_PER_PROCESS, type GeneratorCommand, type GeneratorEvent, type ProbeCommand, type ProbeEvent } from './fanout-ipc.js';

const STEPS = (process.env.FANOUT_CLIENTS ?? '1000,5000,10000,19900').split(',').map(Number);
const CHANGES = Number(process.env.FANOUT_CHANGES ?? 20);
const WARMUP = 12;
const POLL_INTERVAL = 100;
/** Handshakes in flight per generator process. */
const CONNECT_CONCURRENCY = 100;
const CONNECT_TIMEOUT_MS = 120_000;
const CHANGE_TIMEOUT_MS = 20_000;
/** Idle time after the clients connected, before the relay's memory is read. */
const SETTLE_MS = Number(process.env.FANOUT_SETTLE_MS ?? 1000);
/** Our relay's default --max-connections is the open-file limit − 256. */
const DEFAULT_MAX_CONNECTIONS = openFileLimit() - 256;
/** The whole run, at most. */
const RUN_DEADLINE = Date.now() + 30 * 60_000;

const root = fileURLToPath(new URL('..', import.meta.url));
const relayCli = `${root}packages/relay/dist/cli.js`;
const now = (): number => Number(process.hrtime.bigint()) / 1e6;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const tsx = { execArgv: ['--import', 'tsx'], cwd: root };

if (!existsSync(relayCli)) {
  console.error('bench:fanout needs the built relay: run `pnpm build` first.');
  process.exit(1);
}

type RelayName = 'plain ws' | 'now-playing';

interface Measurement {
  clients: number;
  relay: RelayName;
  open: number;
  connectMs: number;
  bytesPerConnection: number;
  first: number[];
  last: number[];
  stallMs: number;
  frameBytes: number;
  problems: string[];
}

// ── child processes ─────────────────────────────────────────────────────────────────────────────

const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
});

/** A child process driven over IPC: send a command, wait for an event of a kind. */
class Driven<C, E extends { evt: string }> {
  readonly #events: E[] = [];
  #wake: (() => void) | undefined;
  constructor(readonly child: ChildProcess) {
    children.add(child);
    child.on('message', (event: E) => {
      this.#events.push(event);
      this.#wake?.();
    });
    child.once('exit', () => this.#wake?.());
  }
  send(command: C): void {
    this.child.send(command as object);
  }
  async next<K extends E['evt']>(evt: K, timeoutMs: number): Promise<Extract<E, { evt: K }>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const index = this.#events.findIndex((e) => e.evt === evt);
      if (index >= 0) return this.#events.splice(index, 1)[0] as Extract<E, { evt: K }>;
      if (this.child.exitCode !== null) throw new Error(`child ${this.child.pid} exited (${this.child.exitCode}) before '${evt}'`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no '${evt}' from child ${this.child.pid} within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#wake = () => (clearTimeout(timer), resolve());
      });
    }
  }
}

async function stop(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM', graceMs = 10_000): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    await Promise.race([exited, sleep(graceMs)]);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  children.delete(child);
}

function startRelay(name: RelayName, port: number, upstream: string, clients: number): ChildProcess {
  const args =
    name === 'plain ws'
      ? [`${root}bench/fanout-plain-relay.mjs`, String(port), upstream, String(POLL_INTERVAL)]
      : [
          relayCli,
          '--upstream', upstream,
          '--host', '127.0.0.1',
          '--port', String(port),
          '--poll-interval', String(POLL_INTERVAL),
          '--log-level', 'warn',
          '--log-format', 'json',
          ...(clients + 20 > DEFAULT_MAX_CONNECTIONS ? ['--max-connections', String(clients + 20)] : []),
          ...(process.env.FANOUT_RELAY_ARGS?.split(' ').filter(Boolean) ?? []),
        ];
  const nodeArgs = process.env.FANOUT_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  const child = spawn(process.execPath, [...nodeArgs, ...args], { cwd: `${root}bench`, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
    if (process.env.FANOUT_RELAY_OUTPUT) process.stderr.write(`[${name}] ${chunk.toString()}`);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  child.once('exit', (code, signal) => {
    if (code !== 0 && signal === null) console.error(`${name} relay exited with ${code}:\n${output}`);
  });
  return child;
}

// ── measuring ───────────────────────────────────────────────────────────────────────────────────

function openFileLimit(): number {
  const line = readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith('Max open files'));
  return Number(line?.split(/\s+/)[3] ?? 1024);
}

function rssBytes(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'));
  return Number(line!.split(/\s+/)[1]) * 1024;
}

/** The relay's RSS: the median of five samples 100 ms apart (one sample can catch a GC half-way). */
async function steadyRss(pid: number): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < 5; i++) {
    samples.push(rssBytes(pid));
    await sleep(100);
  }
  return samples.sort((a, b) => a - b)[2]!;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function waitHealthy(base: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error('relay exited at startup');
    try {
      if ((await fetch(`${base}/healthz`)).ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`relay not healthy within 15 s (${base})`);
    await sleep(50);
  }
}

/** One client sees each warm-up change arrive, so the history is full before the clients come. */
async function warmUp(fake: FakeIcecast, wsUrl: string, run: string): Promise<void> {
  const ws = new WebSocket(wsUrl, { perMessageDeflate: false });
  const frames: string[] = [];
  let wake: (() => void) | undefined;
  ws.on('message', (data: Buffer) => (frames.push(data.toString()), wake?.()));
  await new Promise((resolve, reject) => (ws.once('open', resolve), ws.once('error', reject)));
  for (let i = 1; i <= WARMUP; i++) {
    const marker = `${run}-w${i} (`;
    fake.setTitle('/live', title(`Warm Artist ${i}`, marker));
    const deadline = Date.now() + 5000;
    while (!frames.some((f) => f.includes(marker))) {
      if (Date.now() > deadline) throw new Error(`warm-up change ${i} did not arrive`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 100);
        wake = () => (clearTimeout(timer), resolve());
      });
    }
  }
  ws.terminate();
}

/**
 * Resolves just after the relay's next status request reached the fake. A change made then waits one
 * whole poll interval in either relay, instead of a random part of one (which at 1,000 clients would be
 * most of the latency, and most of its spread).
 */
async function nextPoll(fake: FakeIcecast): Promise<void> {
  const seen = fake.statusRequests;
  const deadline = Date.now() + 5000;
  while (fake.statusRequests === seen) {
    if (Date.now() > deadline) throw new Error('the relay stopped polling');
    await sleep(1);
  }
}

/** A realistic title (about 50 characters) carrying a marker that is unique to one change. */
const title = (artist: string, marker: string) => `${artist} - Song Title ${marker}Radio Edit)`;

async function measure(fake: FakeIcecast, name: RelayName, clients: number, run: string): Promise<Measurement> {
  const problems: string[] = [];
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const relay = startRelay(name, port, fake.url, clients);
  const generators: Driven<GeneratorCommand, GeneratorEvent>[] = [];
  let probe: Driven<ProbeCommand, ProbeEvent> | undefined;
  try {
    await waitHealthy(base, relay);
    const wsUrl = `ws://127.0.0.1:${port}/ws?station=live`;
    await warmUp(fake, wsUrl, run);
    const before = await steadyRss(relay.pid!);

    const processes = Math.ceil(clients / CLIENTS_PER_PROCESS);
    for (let i = 0; i < processes; i++) generators.push(new Driven(fork(`${root}bench/fanout-clients.ts`, [], tsx)));
    probe = new Driven(fork(`${root}bench/fanout-probe.ts`, [`${base}/healthz`], tsx));
    await Promise.all([...generators.map((g) => g.next('ready', 30_000)), probe.next('ready', 30_000)]);
    const connectStarted = now();
    generators.forEach((g, i) => {
      const count = Math.floor(clients / processes) + (i < clients % processes ? 1 : 0);
      g.send({ cmd: 'connect', url: wsUrl, count, concurrency: CONNECT_CONCURRENCY, timeoutMs: CONNECT_TIMEOUT_MS });
    });
    const connected = await Promise.all(generators.map((g) => g.next('connected', CONNECT_TIMEOUT_MS + 5000)));
    const connectMs = now() - connectStarted;
    const open = connected.reduce((sum, c) => sum + c.open, 0);
    if (open < clients) problems.push(`${open} of ${clients} clients connected (${connected.map((c) => c.error).filter(Boolean)[0] ?? 'refused'})`);
    await sleep(SETTLE_MS);
    const bytesPerConnection = (Math.max(0, (await steadyRss(relay.pid!)) - before)) / Math.max(1, open);

    probe.send({ cmd: 'reset' });
    if (process.env.FANOUT_RELAY_OUTPUT) process.stderr.write(`--- ${name}: changes begin\n`);
    const first: number[] = [];
    const last: number[] = [];
    let frameBytes = 0;
    for (let k = 1; k <= CHANGES && Date.now() < RUN_DEADLINE; k++) {
      const marker = `${run}-${k} (`;
      for (const g of generators) g.send({ cmd: 'expect', marker, timeoutMs: CHANGE_TIMEOUT_MS });
      await Promise.all(generators.map((g) => g.next('armed', 5000)));
      await nextPoll(fake);
      const changed = now();
      fake.setTitle('/live', title(`Fanout Artist ${k}`, marker));
      const arrived = await Promise.all(generators.map((g) => g.next('arrived', CHANGE_TIMEOUT_MS + 5000)));
      const count = arrived.reduce((sum, a) => sum + a.count, 0);
      const expected = arrived.reduce((sum, a) => sum + a.expected, 0);
      if (count < expected) problems.push(`change ${k}: ${count} of ${expected} clients got it`);
      if (count === 0) continue;
      first.push(Math.min(...arrived.map((a) => a.first)) - changed);
      last.push(Math.max(...arrived.map((a) => a.last)) - changed);
      frameBytes = arrived.find((a) => a.frameBytes > 0)!.frameBytes;
      await sleep(150); // let the sockets drain before the next change
    }
    probe.send({ cmd: 'report' });
    const { maxMs: stallMs, failures } = await probe.next('report', 5000);
    if (process.env.FANOUT_RELAY_OUTPUT) process.stderr.write(`--- ${name}: changes end (longest stall ${stallMs.toFixed(0)} ms)\n`);
    if (failures > 0) problems.push(`${failures} /healthz probes failed`);
    return { clients, relay: name, open, connectMs, bytesPerConnection, first, last, stallMs, frameBytes, problems };
  } finally {
    if (probe) await stop(probe.child);
    await stop(relay);
    for (const g of generators) if (g.child.connected) g.send({ cmd: 'close' });
    await Promise.all(generators.map((g) => stop(g.child, 'SIGTERM', 5000)));
  }
}

// ── report ──────────────────────────────────────────────────────────────────────────────────────

/** Nearest-rank percentile. */
function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)] ?? NaN;
}

const ms = (value: number) => `${value < 10 ? value.toFixed(1) : Math.round(value)} ms`;
const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
const ratio = (ours: number, plain: number) => `${(ours / plain).toFixed(2)}×`;
const count = (n: number) => n.toLocaleString('en-US');

function figures(m: Measurement) {
  return {
    connect: m.connectMs,
    memory: m.bytesPerConnection,
    firstP50: percentile(m.first, 0.5),
    lastP50: percentile(m.last, 0.5),
    lastP99: percentile(m.last, 0.99),
    stall: m.stallMs,
  };
}

function table(results: [Measurement, Measurement][]): string {
  const header = ['clients', 'relay', 'connect', 'memory / connection', 'change → first client p50', 'change → last client p50', 'change → last client p99', 'longest /healthz stall'];
  const lines = [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`];
  for (const [plain, ours] of results) {
    const p = figures(plain);
    const o = figures(ours);
    lines.push(`| ${count(plain.clients)} | plain ws | ${ms(p.connect)} | ${kib(p.memory)} | ${ms(p.firstP50)} | ${ms(p.lastP50)} | ${ms(p.lastP99)} | ${ms(p.stall)} |`);
    lines.push(`| | now-playing | ${ms(o.connect)} | ${kib(o.memory)} | ${ms(o.firstP50)} | ${ms(o.lastP50)} | ${ms(o.lastP99)} | ${ms(o.stall)} |`);
    lines.push(
      `| | **ratio** | ${ratio(o.connect, p.connect)} | **${ratio(o.memory, p.memory)}** | ${ratio(o.firstP50, p.firstP50)} | ${ratio(o.lastP50, p.lastP50)} | **${ratio(o.lastP99, p.lastP99)}** | **${ratio(o.stall, p.stall)}** |`,
    );
  }
  return lines.join('\n');
}

function verdicts(results: [Measurement, Measurement][]): string[] {
  const out: string[] = [];
  for (const [plain, ours] of results) {
    const p = figures(plain);
    const o = figures(ours);
    const checks = [
      [`last-client p99 ${ratio(o.lastP99, p.lastP99)} ≤ 1.0×`, o.lastP99 <= p.lastP99],
      [`memory per connection ${ratio(o.memory, p.memory)} ≤ 1.0×`, o.memory <= p.memory],
      [`longest stall ${ratio(o.stall, p.stall)} ≤ 0.5×`, o.stall <= 0.5 * p.stall],
      [`longest stall ${ms(o.stall)} ≤ 50 ms`, o.stall <= 50],
    ] as const;
    out.push(`${count(ours.clients)} clients: ${checks.map(([text, ok]) => `${ok ? 'met' : 'MISSED'}: ${text}`).join('; ')}`);
  }
  return out;
}

// ── run ─────────────────────────────────────────────────────────────────────────────────────────

const fake = await startFakeIcecast({ mounts: { '/live': { title: 'Bench Artist - Start', listeners: 100, serverName: 'Bench FM' } } });
const results: [Measurement, Measurement][] = [];
const started = new Date();
try {
  for (const [i, clients] of STEPS.entries()) {
    if (Date.now() > RUN_DEADLINE) break;
    // Alternate which relay goes first, so neither always meets a warmer (or more tired) machine.
    const order: RelayName[] = i % 2 === 0 ? ['plain ws', 'now-playing'] : ['now-playing', 'plain ws'];
    const measured = new Map<RelayName, Measurement>();
    for (const name of order) {
      process.stderr.write(`${count(clients)} clients, ${name}…\n`);
      measured.set(name, await measure(fake, name, clients, `r${i}${name === 'plain ws' ? 'p' : 'n'}`));
    }
    results.push([measured.get('plain ws')!, measured.get('now-playing')!]);
  }
} finally {
  await fake.close();
}

const [, sample] = results[0] ?? [];
const plainBytes = results[0]?.[0].frameBytes ?? 0;
console.log(`\n## Fan-out: now-playing relay vs a plain ws relay, same run\n`);
console.log(table(results));
console.log(
  `\nMeasured ${started.toISOString().slice(0, 10)} by \`pnpm bench:fanout\` (Node ${process.versions.node}, ${cpuCount()} cores shared by the relay, the fake Icecast, the load generators and the prober; loopback; poll interval ${POLL_INTERVAL} ms, each change made just after a poll, so it waits about ${POLL_INTERVAL} ms for the next one; ${CHANGES} changes per row, one at a time, so p99 is the slowest of them; history full (10 entries)). Ratios are now-playing ÷ plain ws.`,
);
console.log(`\nBytes per track change per client (payload, one frame): plain ws with protocol v1's patch (whole history) ${plainBytes} B; now-playing with protocol v2 ${sample?.frameBytes ?? 0} B (${ratio(sample?.frameBytes ?? 0, plainBytes)}).`);
console.log(`\nTargets:\n${verdicts(results).map((v) => `- ${v}`).join('\n')}`);
const problems = results.flat().flatMap((m) => m.problems.map((p) => `${count(m.clients)} clients, ${m.relay}: ${p}`));
if (problems.length > 0) console.log(`\nProblems:\n${problems.map((p) => `- ${p}`).join('\n')}`);
if (STEPS.some((n) => n >= 19_900)) {
  console.log(`\n20,000 clients cannot be reached: one process's open-file limit is ${count(openFileLimit())} here, and the relay needs about 20 descriptors of its own (listening socket, epoll, stdio, the upstream). 19,900 is the largest step.`);
}

function cpuCount(): number {
  return readFileSync('/proc/cpuinfo', 'utf8').split('\n').filter((l) => l.startsWith('processor')).length;
}
