/** Test harness: a real fake Icecast on a loopback port, a real relay, real `ws` clients. */
import { startFakeIcecast, type FakeIcecast, type MountState } from '@now-playing/fake-icecast';
import type { ServerMessage } from '@now-playing/protocol';
import { expect } from 'vitest';
import { WebSocket, type ClientOptions } from 'ws';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { createRelay, type Logger, type Relay, type RelayOptions } from '../src/index.js';

const toClose: (() => unknown)[] = [];

/**
 * Close every stack and client opened during the test, newest first. Test files call
 * `afterEach(closeAll)`: no test has to remember its own cleanup.
 */
export async function closeAll(): Promise<void> {
  for (const close of toClose.splice(0).reverse()) await close();
}

/** Register something else to close after the test (a second fake, a plain HTTP server). */
export function onCleanup(close: () => unknown): void {
  toClose.push(close);
}

/** A pino logger whose JSON lines are kept in `lines`, for asserting on what the relay logs. */
export function captureLogs(level = 'debug'): { logger: Logger; lines: () => Record<string, unknown>[]; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  const logger = pino({ level }, stream);
  const text = () => chunks.join('');
  return { logger, text, lines: () => text().split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>) };
}

export interface Stack {
  fake: FakeIcecast;
  relay: Relay;
  /** `http://127.0.0.1:<relay port>` */
  base: string;
  wsUrl: (station?: string) => string;
  close: () => Promise<void>;
}

/** Fast timings so failure and recovery happen within a test's time. */
export const FAST = { pollInterval: 100, requestTimeout: 300, maxBackoff: 400, heartbeat: 1000 } as const;

/**
 * A relay on a free loopback port with the fast timings, started and registered for cleanup. Its logs
 * go to `logger` (a silent one by default; `captureLogs()` to assert on them).
 */
export async function startRelay(upstreams: string[], options: Partial<RelayOptions> = {}, logger: Logger = captureLogs().logger): Promise<Relay> {
  const relay = createRelay({ upstreams, host: '127.0.0.1', port: 0, logLevel: 'silent', ...FAST, ...options }, { logger });
  await relay.start();
  onCleanup(() => relay.stop(500));
  return relay;
}

/** The WebSocket URL of `relay`, for `station` when given. */
export function relayWsUrl(relay: Relay, station?: string): string {
  return `${relay.url.replace(/^http/, 'ws')}/ws${station === undefined ? '' : `?station=${encodeURIComponent(station)}`}`;
}

export async function startStack(
  mounts: Record<string, MountState> = { '/live': { title: 'Artist - First', serverName: 'Live' } },
  options: Partial<RelayOptions> = {},
  logger?: Logger,
): Promise<Stack> {
  const fake = await startFakeIcecast({ mounts });
  const relay = createRelay(
    { upstreams: [fake.url], host: '127.0.0.1', port: 0, logLevel: 'silent', ...FAST, ...options },
    logger ? { logger } : {},
  );
  await relay.start();
  const base = `http://127.0.0.1:${relay.address.port}`;
  const wsUrl = (station?: string) =>
    `ws://127.0.0.1:${relay.address.port}/ws${station === undefined ? '' : `?station=${encodeURIComponent(station)}`}`;
  const stack: Stack = {
    fake,
    relay,
    base,
    wsUrl,
    close: async () => {
      await relay.stop(500);
      await fake.close();
    },
  };
  toClose.push(stack.close);
  return stack;
}

/** A `ws` client that queues every message so tests can await them in order. */
export class TestClient {
  readonly ws: WebSocket;
  readonly messages: ServerMessage[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  #waiters: (() => void)[] = [];
  #read = 0;

  constructor(url: string, options?: ClientOptions) {
    this.ws = new WebSocket(url, options);
    toClose.push(() => this.close());
    this.ws.on('message', (data) => {
      this.messages.push(JSON.parse(data.toString()) as ServerMessage);
      for (const wake of this.#waiters.splice(0)) wake();
    });
    this.ws.on('error', () => {});
    this.closed = new Promise((resolve) => this.ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  }

  static async open(url: string, options?: ClientOptions): Promise<TestClient> {
    const client = new TestClient(url, options);
    await new Promise<void>((resolve, reject) => {
      client.ws.once('open', () => resolve());
      client.ws.once('error', reject);
    });
    return client;
  }

  /** The next unread message of the given type (skipping others, pings by default), within `timeout` ms. */
  async next<T extends ServerMessage['type']>(
    type: T,
    timeout = 3000,
  ): Promise<Extract<ServerMessage, { type: T }>> {
    const deadline = Date.now() + timeout;
    for (;;) {
      while (this.#read < this.messages.length) {
        const message = this.messages[this.#read++]!;
        if (message.type === type) return message as Extract<ServerMessage, { type: T }>;
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no ${type} message within ${timeout} ms (got ${JSON.stringify(this.messages.slice(-3))})`);
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
}

/** Wait until `check` returns true, polling every 20 ms, for at most `timeout` ms. */
export async function waitFor(check: () => boolean, timeout = 3000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The relay still answers `/healthz` and a WebSocket client still gets its snapshot (after a hostile request). */
export async function expectStillServing(stack: Stack): Promise<void> {
  const health = await fetch(`${stack.base}/healthz`);
  expect(health.status).toBe(200);
  const client = await TestClient.open(stack.wsUrl('live'));
  expect((await client.next('snapshot')).station).toBe('live');
  client.close();
}
