/**
 * Abuse test harness: the BUILT relay (`dist/cli.js`) as a child process polling an in-process fake
 * Icecast, a monitor thread that samples the child's RSS and `/healthz` latency while an attack runs,
 * and attack clients (message floods, connection floods, raw sockets). Everything a test opens is
 * registered and closed by `cleanup()` (call it in `afterEach`). Every wait here is bounded.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { get, type OutgoingHttpHeaders } from 'node:http';
import { connect, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { startFakeIcecast, type FakeIcecast, type MountState } from '@now-playing/fake-icecast';
import { expect } from 'vitest';
import { WebSocket, type ClientOptions } from 'ws';

/** The relay under attack: this package's build, or another build's `cli.js` given in ABUSE_RELAY_CLI (to compare versions). */
export const RELAY_CLI = process.env.ABUSE_RELAY_CLI ?? fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

// ---------------------------------------------------------------------------------------------------
// Cleanup

const toClose: (() => unknown)[] = [];

/** Register something to close after the test; `cleanup()` closes newest first. */
export function onCleanup(close: () => unknown): void {
  toClose.push(close);
}

/** Close everything the test opened (clients, relay processes, monitors, fakes), newest first. */
export async function cleanup(): Promise<void> {
  const errors: unknown[] = [];
  for (const close of toClose.splice(0).reverse()) {
    try {
      await close();
    } catch (error) {
      errors.push(error);
    }
  }
  if (errors.length > 0) throw errors[0];
}

/** Wait until `check` holds, checking every `everyMs`, for at most `timeoutMs`; the error names `what`. */
export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string, everyMs = 20): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** `promise`'s value, or `undefined` if it has not settled within `ms`. */
export async function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([promise, new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

/** Print one line of measurements (shown with the test), so every run says how close it came to its bounds. */
export function record(attack: string, numbers: Record<string, unknown>): void {
  console.info(`[abuse] ${attack}: ${JSON.stringify(numbers)}`);
}

// ---------------------------------------------------------------------------------------------------
// The fake Icecast and the relay process

/** A fake Icecast on 127.0.0.1 with one mount `/live`, closed by `cleanup()`. */
export async function startFake(mounts: Record<string, MountState> = { '/live': { title: 'Abuse - Baseline', serverName: 'Live' } }): Promise<FakeIcecast> {
  const fake = await startFakeIcecast({ mounts });
  onCleanup(() => fake.close());
  return fake;
}

/** One pino line from the relay's stdout. */
export interface LogLine {
  level: number;
  msg: string;
  time: number;
  [key: string]: unknown;
}

export interface RelayProcess {
  readonly pid: number;
  readonly port: number;
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly healthUrl: string;
  wsUrl(station?: string): string;
  /** Every pino line so far, in order (at most MAX_LOG_LINES; `droppedLogLines` counts the rest). */
  readonly logs: LogLine[];
  readonly droppedLogLines: number;
  alive(): boolean;
  /** Exit status and the end of stderr, for failure messages. */
  describe(): string;
  /** SIGTERM, then SIGKILL if it has not exited within 3 s. */
  stop(): Promise<void>;
}

const MAX_LOG_LINES = 100_000;
/** A stdout line longer than this is not a log line we want; it is dropped, not buffered. */
const MAX_LINE_CHARS = 1024 * 1024;
const STDERR_TAIL_CHARS = 4000;

/** Fail clearly (instead of timing out) when the relay has not been built. */
export function assertRelayBuilt(): void {
  if (!existsSync(RELAY_CLI)) throw new Error(`${RELAY_CLI} is missing: run pnpm build first (pnpm test does)`);
}

/**
 * Start `node dist/cli.js --upstream <upstream> --host 127.0.0.1 --port 0 --log-level info ...flags`
 * and resolve once it prints its listening line (at most `readyTimeoutMs`). Stopped by `cleanup()`.
 */
export async function startRelay(upstream: string, flags: string[] = [], readyTimeoutMs = 10_000): Promise<RelayProcess> {
  assertRelayBuilt();
  const args = [RELAY_CLI, '--upstream', upstream, '--host', '127.0.0.1', '--port', '0', '--log-level', 'info', ...flags];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const relay = new ChildRelay(child, args.slice(1));
  onCleanup(() => relay.stop());
  await relay.ready(readyTimeoutMs);
  return relay;
}

class ChildRelay implements RelayProcess {
  readonly logs: LogLine[] = [];
  droppedLogLines = 0;
  port = 0;
  #partial = '';
  #stderr = '';
  #listening: ((port: number) => void) | undefined;
  readonly #exited: Promise<void>;

  constructor(
    private readonly child: ChildProcess,
    private readonly args: string[],
  ) {
    child.stdout!.setEncoding('utf8').on('data', (text: string) => this.#onStdout(text));
    child.stderr!.setEncoding('utf8').on('data', (text: string) => {
      this.#stderr = (this.#stderr + text).slice(-STDERR_TAIL_CHARS);
    });
    this.#exited = new Promise((resolve) => child.once('exit', () => resolve()));
  }

  get pid(): number {
    return this.child.pid!;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get healthUrl(): string {
    return `${this.url}/healthz`;
  }

  wsUrl(station?: string): string {
    return `ws://127.0.0.1:${this.port}/ws${station === undefined ? '' : `?station=${encodeURIComponent(station)}`}`;
  }

  alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  describe(): string {
    const status = this.alive() ? 'running' : `exited (code ${this.child.exitCode}, signal ${this.child.signalCode})`;
    return `relay pid ${this.child.pid} ${status}; args: ${this.args.join(' ')}; stderr: ${JSON.stringify(this.#stderr.slice(-1000))}`;
  }

  async ready(timeoutMs: number): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const listening = new Promise<number>((resolve) => (this.#listening = resolve));
    const failed = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`relay did not print its listening line within ${timeoutMs} ms: ${this.describe()}`)), timeoutMs);
      void this.#exited.then(() => reject(new Error(`relay exited before listening: ${this.describe()}`)));
    });
    try {
      this.port = await Promise.race([listening, failed]);
    } finally {
      clearTimeout(timer);
    }
  }

  async stop(): Promise<void> {
    if (!this.alive()) return;
    this.child.kill('SIGTERM');
    if (await within(this.#exited.then(() => true), 3000)) return;
    this.child.kill('SIGKILL');
    await within(this.#exited, 2000);
  }

  #onStdout(text: string): void {
    const lines = (this.#partial + text).split('\n');
    this.#partial = lines.pop()!;
    if (this.#partial.length > MAX_LINE_CHARS) this.#partial = '';
    for (const line of lines) {
      // Older builds (ABUSE_RELAY_CLI) print a plain "listening on" line; ours log it as JSON.
      const listening = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(line);
      if (listening && !line.startsWith('{')) {
        this.#listening?.(Number(listening[1]));
        continue;
      }
      if (!line.startsWith('{')) continue;
      let log: LogLine;
      try {
        log = JSON.parse(line) as LogLine;
      } catch {
        continue; // a torn or foreign line: not a log line
      }
      const startup = log.msg === 'relay listening' && typeof log.url === 'string' ? /^http:\/\/127\.0\.0\.1:(\d+)$/.exec(log.url) : null;
      if (startup) this.#listening?.(Number(startup[1]));
      if (this.logs.length >= MAX_LOG_LINES) {
        this.droppedLogLines++;
        continue;
      }
      this.logs.push(log);
    }
  }
}

/** The relay process's resident set size in MB (VmRSS from /proc/<pid>/status). */
export function rssMb(pid: number): number {
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!match) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(match[1]) / 1024;
}

// ---------------------------------------------------------------------------------------------------
// Monitoring during an attack

export interface MonitorReport {
  /** `/healthz` requests made (one at a time). */
  probes: number;
  /** Each probe's latency in ms, in order. */
  latencies: number[];
  /** Including a probe still unanswered when the monitor stopped. */
  maxLatencyMs: number;
  failureCount: number;
  /** The first few failures: `"<ms> ms: <why>"`. */
  failures: string[];
  rssSamples: number;
  maxRssMb: number;
  lastRssMb: number;
}

export interface Monitor {
  /** Stop sampling and probing; the report covers the whole time since start. */
  stop(): Promise<MonitorReport>;
}

export interface MonitorOptions {
  probeEveryMs?: number;
  probeTimeoutMs?: number;
  rssEveryMs?: number;
}

/**
 * Sample the relay's RSS every 100 ms and probe `/healthz` every 25 ms (one request at a time,
 * each on a new connection, 2 s timeout), in a worker thread (see monitor.worker.mjs).
 */
export function startMonitor(relay: RelayProcess, options: MonitorOptions = {}): Monitor {
  const workerData = {
    pid: relay.pid,
    healthUrl: relay.healthUrl,
    probeEveryMs: options.probeEveryMs ?? 25,
    probeTimeoutMs: options.probeTimeoutMs ?? 2000,
    rssEveryMs: options.rssEveryMs ?? 100,
  };
  const worker = new Worker(new URL('./monitor.worker.mjs', import.meta.url), { workerData });
  let report: Promise<MonitorReport> | undefined;
  onCleanup(() => worker.terminate());
  return {
    stop() {
      report ??= new Promise<MonitorReport>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('the monitor thread did not report within 5 s')), 5000);
        worker.once('message', (message: MonitorReport) => {
          clearTimeout(timer);
          resolve(message);
        });
        worker.once('error', (error) => {
          clearTimeout(timer);
          reject(error);
        });
        worker.postMessage('stop');
      }).finally(() => worker.terminate());
      return report;
    },
  };
}

/** `healthz max 3.1 ms (p50 0.9, p99 2.8) over 180 probes, 0 failures; RSS max 71.2 MB (last 70.9)`. */
export function summary(report: MonitorReport): string {
  const sorted = [...report.latencies].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
  const failures = report.failureCount === 0 ? '0 failures' : `${report.failureCount} failures (${report.failures.join('; ')})`;
  return (
    `healthz max ${report.maxLatencyMs.toFixed(1)} ms (p50 ${at(0.5)}, p99 ${at(0.99)}) over ${report.probes} probes, ${failures}; ` +
    `RSS max ${report.maxRssMb.toFixed(1)} MB (last ${report.lastRssMb.toFixed(1)}, ${report.rssSamples} samples)`
  );
}

export interface Bounds {
  /** RSS may grow at most this much over the baseline. */
  rssGrowthMb: number;
  /** Every `/healthz` must answer within this. */
  healthzMs: number;
}

/**
 * The attack's resource bounds: RSS under baseline + `rssGrowthMb` throughout, every `/healthz`
 * answered (200, JSON) within `healthzMs`, and enough probes and samples that this means something.
 */
export function expectBounds(report: MonitorReport, baselineMb: number, bounds: Bounds, minProbes = 10): void {
  const text = `baseline ${baselineMb.toFixed(1)} MB; ${summary(report)}`;
  // What went wrong first, then whether there were enough measurements for a pass to mean anything.
  expect(report.failureCount, `/healthz failed during the attack: ${text}`).toBe(0);
  expect(report.maxLatencyMs, `/healthz slower than ${bounds.healthzMs} ms: ${text}`).toBeLessThan(bounds.healthzMs);
  expect(report.maxRssMb, `RSS over baseline + ${bounds.rssGrowthMb} MB: ${text}`).toBeLessThan(baselineMb + bounds.rssGrowthMb);
  expect(report.probes, `too few /healthz probes to judge: ${text}`).toBeGreaterThanOrEqual(minProbes);
  expect(report.rssSamples, `too few RSS samples to judge: ${text}`).toBeGreaterThanOrEqual(3);
}

// ---------------------------------------------------------------------------------------------------
// WebSocket clients

/** A server message as received (parsed JSON; `{type: '<not JSON>'}` otherwise). */
export type Received = { type: string; [key: string]: unknown };

export interface CloseInfo {
  code: number;
  reason: string;
}

/** How long a client waits for the relay to accept its connection. */
const OPEN_TIMEOUT_MS = 5000;
/** Messages a client keeps (the rest are counted): a flood must not fill the test process. */
const KEPT_MESSAGES = 10_000;

/** A well-behaved `ws` client that records every frame it receives (count, size, parsed message). */
export class WsClient {
  readonly ws: WebSocket;
  readonly messages: Received[] = [];
  frames = 0;
  maxFrameBytes = 0;
  /** Set once closed. */
  closeInfo: CloseInfo | undefined;
  /** The first socket or handshake error (`Unexpected server response: 503`), if any. */
  error: string | undefined;
  readonly closed: Promise<CloseInfo>;
  #read = 0;
  #waiters: (() => void)[] = [];

  constructor(url: string, options: ClientOptions = {}) {
    this.ws = new WebSocket(url, { perMessageDeflate: false, ...options });
    onCleanup(() => this.ws.terminate());
    this.ws.on('error', (error) => (this.error ??= error.message)); // then the close event follows
    this.ws.on('message', (data: Buffer, isBinary) => {
      this.frames++;
      this.maxFrameBytes = Math.max(this.maxFrameBytes, data.length);
      if (this.messages.length < KEPT_MESSAGES) this.messages.push(parse(isBinary ? '' : data.toString()));
      this.#wake();
    });
    this.closed = new Promise((resolve) =>
      this.ws.once('close', (code, reason) => {
        this.closeInfo = { code, reason: reason.toString() };
        resolve(this.closeInfo);
        this.#wake();
      }),
    );
  }

  /** Open a client and wait for the connection (not the snapshot). */
  static async open(url: string, options?: ClientOptions): Promise<WsClient> {
    const client = new WsClient(url, options);
    await client.opened();
    return client;
  }

  /** Resolves when open; rejects if it closes first or takes longer than OPEN_TIMEOUT_MS. */
  async opened(): Promise<void> {
    if (this.ws.readyState === WebSocket.OPEN) return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`WebSocket not open within ${OPEN_TIMEOUT_MS} ms`)), OPEN_TIMEOUT_MS);
      this.ws.once('open', () => {
        clearTimeout(timer);
        resolve();
      });
      void this.closed.then((info) => {
        clearTimeout(timer);
        reject(new Error(`WebSocket closed before opening: ${info.code} ${info.reason}`));
      });
    });
  }

  /**
   * The next unread message of `type` (satisfying `match`, if given), within `timeoutMs`. Fails at
   * once, naming the close code, if the connection closes first.
   */
  async next(type: string, timeoutMs = 3000, match: (message: Received) => boolean = () => true): Promise<Received> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      while (this.#read < this.messages.length) {
        const message = this.messages[this.#read++]!;
        if (message.type === type && match(message)) return message;
      }
      const left = deadline - Date.now();
      if (this.closeInfo) throw new Error(`closed (${this.closeInfo.code} ${this.closeInfo.reason}) before a matching ${type} message`);
      if (left <= 0) throw new Error(`no matching ${type} message within ${timeoutMs} ms (last: ${JSON.stringify(this.messages.slice(-2)).slice(0, 300)})`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** The first of: a snapshot arrives (`'snapshot'`) or the connection closes (its code and reason). */
  async outcome(timeoutMs = 5000): Promise<'snapshot' | CloseInfo | 'timeout'> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.messages.some((m) => m.type === 'snapshot')) return 'snapshot';
      if (this.closeInfo) return this.closeInfo;
      const left = deadline - Date.now();
      if (left <= 0) return 'timeout';
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  send(value: unknown): void {
    this.ws.send(typeof value === 'string' ? value : JSON.stringify(value));
  }

  close(): void {
    this.ws.close();
  }

  #wake(): void {
    for (const wake of this.#waiters.splice(0)) wake();
  }
}

function parse(text: string): Received {
  try {
    const value = JSON.parse(text) as unknown;
    return typeof value === 'object' && value !== null && typeof (value as Received).type === 'string' ? (value as Received) : { type: '<not a message>' };
  } catch {
    return { type: '<not JSON>' };
  }
}

/** Baseline: the relay's RSS after startup with one connected client (which has its snapshot). */
export async function baseline(relay: RelayProcess, station = 'live'): Promise<{ rssMb: number; client: WsClient }> {
  const client = await WsClient.open(relay.wsUrl(station));
  await client.next('snapshot', 5000);
  return { rssMb: rssMb(relay.pid), client };
}

// ---------------------------------------------------------------------------------------------------
// Message floods

export interface FloodOptions {
  /** The frame sent over and over. */
  message: string;
  /** false: pause the socket after open, so the relay's writes back up (TCP backpressure). */
  read: boolean;
  /** Frames per event-loop turn (default 2,000). */
  batch?: number;
  /** Give up after this long (default 10 s). */
  maxMs?: number;
  /** Stop queueing while this much is unsent on our side (default 4 MiB), so the test process stays small. */
  maxQueuedBytes?: number;
  /** Called once, after the first batch has been queued. */
  onFirstBatch?: () => void;
}

export interface FloodResult {
  /** Frames queued. */
  sent: number;
  /** Frames received (0 when not reading). */
  received: number;
  ms: number;
  /** `relay`: the connection ended before the time limit; `time limit`: we gave up and closed it. */
  endedBy: 'relay' | 'time limit';
  /** The close as our side saw it (a client that does not read sees 1006, not the relay's code). */
  close: CloseInfo | undefined;
}

/**
 * One flooding client: open, optionally stop reading, then send `message` in batches until the
 * connection ends or `maxMs` passes. Bounded in time and in what this process queues.
 */
export async function flood(url: string, options: FloodOptions): Promise<FloodResult> {
  const { message, read, batch = 2000, maxMs = 10_000, maxQueuedBytes = 4 * 1024 * 1024 } = options;
  const client = await WsClient.open(url);
  const socket = (client.ws as unknown as { _socket: Socket })._socket;
  if (!read) socket.pause();
  const started = Date.now();
  const deadline = started + maxMs;
  let sent = 0;
  let firstBatch = true;
  let timeUp: ReturnType<typeof setTimeout> | undefined;
  const timeLimit = new Promise<void>((resolve) => (timeUp = setTimeout(resolve, maxMs)));
  try {
    while (client.ws.readyState === WebSocket.OPEN && Date.now() < deadline) {
      if (client.ws.bufferedAmount > maxQueuedBytes) {
        // Our own queue is full (the relay is not reading either): wait for it to move, the end, or time.
        await Promise.race([new Promise((resolve) => socket.once('drain', resolve)), client.closed, timeLimit]);
        continue;
      }
      for (let i = 0; i < batch && client.ws.readyState === WebSocket.OPEN; i++) {
        client.ws.send(message);
        sent++;
      }
      if (firstBatch) options.onFirstBatch?.();
      firstBatch = false;
      await new Promise((resolve) => setImmediate(resolve));
    }
  } finally {
    clearTimeout(timeUp);
  }
  const endedBy = client.ws.readyState === WebSocket.OPEN ? 'time limit' : 'relay';
  if (endedBy === 'time limit') client.ws.terminate();
  // The close event follows the socket's end within moments; bounded all the same.
  const close = await within(client.closed, 2000);
  return { sent, received: client.frames, ms: Date.now() - started, endedBy, close };
}

/**
 * The same flood from one fresh connection after another (the attacker reconnects each time the relay
 * cuts it off) until `windowMs` has passed or `maxAttackers` have run. `onFirstBatch` fires once.
 */
export async function floodRepeatedly(url: string, options: FloodOptions & { windowMs: number; maxAttackers: number }): Promise<FloodResult[]> {
  const { windowMs, maxAttackers, onFirstBatch, ...flooding } = options;
  const results: FloodResult[] = [];
  const started = Date.now();
  let first = true;
  const once = () => {
    if (first) onFirstBatch?.();
    first = false;
  };
  while (Date.now() - started < windowMs && results.length < maxAttackers) {
    results.push(await flood(url, { ...flooding, onFirstBatch: once }));
  }
  return results;
}

// ---------------------------------------------------------------------------------------------------
// Plain HTTP and raw sockets

export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** Body length in bytes. */
  bytes: number;
}

/** One GET on a fresh connection; rejects after `timeoutMs`. */
export function httpGet(url: string, headers: OutgoingHttpHeaders = {}, timeoutMs = 5000): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = get(url, { agent: false, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        clearTimeout(timer);
        const body = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: body.toString(), bytes: body.length });
      });
      res.on('error', reject);
    });
    const timer = setTimeout(() => {
      req.destroy();
      reject(new Error(`GET ${url}: no answer within ${timeoutMs} ms`));
    }, timeoutMs);
    req.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

/** `GET` and parse JSON; fails naming the status and the start of the body otherwise. */
export async function getJson<T = Record<string, unknown>>(url: string): Promise<T> {
  const answer = await httpGet(url);
  if (answer.status !== 200) throw new Error(`GET ${url}: HTTP ${answer.status} ${answer.body.slice(0, 200)}`);
  return JSON.parse(answer.body) as T;
}

/** The relay's `/healthz` body (the parts the tests read). */
export interface Health {
  status: string;
  clients: number;
  upstreams: { url: string; state: string; consecutiveFailures: number; lastError?: string; stations: string[] }[];
}

export interface RawResult {
  /** The first line the server answered with (`HTTP/1.1 400 Bad Request`), if any. */
  statusLine: string | undefined;
  /** Bytes the server sent. */
  bytes: number;
  /** How the exchange ended: the server closed, we gave up waiting, or a socket error (its code). */
  ended: 'closed' | 'timeout' | string;
}

/**
 * Connect to 127.0.0.1:`port`, write `chunks` (one write each), and wait for the server to close or
 * for `idleMs` without a byte from it (at most `timeoutMs` in all), then destroy the socket.
 */
export function rawExchange(port: number, chunks: Buffer[], idleMs = 300, timeoutMs = 2000): Promise<RawResult> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const received: Buffer[] = [];
    let bytes = 0;
    let done = false;
    const finish = (ended: string) => {
      if (done) return;
      done = true;
      clearTimeout(idle);
      clearTimeout(overall);
      socket.destroy();
      const head = Buffer.concat(received).toString('latin1');
      const statusLine = head.length > 0 ? head.split('\r\n')[0] : undefined;
      resolve({ statusLine, bytes, ended });
    };
    let idle = setTimeout(() => finish('timeout'), idleMs);
    const overall = setTimeout(() => finish('timeout'), timeoutMs);
    socket.on('data', (data: Buffer) => {
      // Keep only the start: the status line is all a caller reads.
      if (bytes < 256) received.push(data.subarray(0, 256 - bytes));
      bytes += data.length;
      clearTimeout(idle);
      idle = setTimeout(() => finish('timeout'), idleMs);
    });
    socket.on('close', () => finish('closed'));
    socket.on('error', (error: NodeJS.ErrnoException) => finish(error.code ?? error.message));
    socket.once('connect', () => {
      for (const chunk of chunks) if (!socket.destroyed) socket.write(chunk);
    });
  });
}
