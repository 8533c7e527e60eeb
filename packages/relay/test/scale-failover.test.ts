/**
 * Failover with real processes: two built relay CLIs (`pnpm build` first) share a real redis-server;
 * the one reading the upstream is SIGKILLed and the other takes over. A client on the survivor must
 * see every change, with no gap and no repeat in `seq`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startFakeIcecast, type FakeIcecast } from '@now-playing/fake-icecast';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { closeAll, onCleanup, TestClient, waitFor } from './helpers.js';
import { startRedisServer, type RedisServer } from './redis-server.js';

const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const TTL = 1000;

interface RelayProcess {
  child: ChildProcess;
  url: string;
  ws: (station: string) => string;
  /** Whether this process holds the lease of the (only) upstream, per its /healthz. */
  reads: () => Promise<boolean>;
  logs: () => Record<string, unknown>[];
}

let redis: RedisServer;
let fake: FakeIcecast;
beforeAll(async () => {
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run pnpm build first`);
  redis = await startRedisServer();
  fake = await startFakeIcecast({ mounts: { '/live': { title: 'Artist - First', serverName: 'Live' } } });
});
afterAll(async () => {
  await fake?.close();
  await redis?.stop();
});
afterEach(closeAll);

async function startRelay(): Promise<RelayProcess> {
  const args = ['--upstream', fake.url, '--host', '127.0.0.1', '--port', '0', '--log-level', 'info', '--redis', redis.url, '--redis-lease-ttl', String(TTL)];
  const fast = ['--poll-interval', '100', '--timeout', '300', '--max-backoff', '400', '--heartbeat', '1000'];
  const child = spawn(process.execPath, [cli, ...args, ...fast], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NOW_PLAYING_LOG_FORMAT: 'json' } });
  onCleanup(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const logs = () =>
    stdout
      .split('\n')
      .slice(0, -1)
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  const startup = () => logs().find((line) => line.msg === 'relay listening');
  await waitFor(() => startup() !== undefined, 10_000, `the startup line (stdout: ${stdout} stderr: ${stderr})`);
  const url = startup()!.url as string;
  return {
    child,
    url,
    logs,
    ws: (station) => `${url.replace(/^http/, 'ws')}/ws?station=${station}`,
    reads: async () => {
      const health = (await (await fetch(`${url}/healthz`)).json()) as { upstreams: { lease?: { self: boolean } }[] };
      return health.upstreams[0]?.lease?.self === true;
    },
  };
}

/** Poll `check` every 20 ms until it resolves true, for at most `timeout` ms; the time it took. */
async function timeUntil(check: () => Promise<boolean>, timeout: number, what: string): Promise<number> {
  const started = performance.now();
  while (!(await check())) {
    if (performance.now() - started > timeout) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return performance.now() - started;
}

describe('failover between relay processes', () => {
  it('the reading relay is SIGKILLed: the other takes over within about two TTLs, seq continues without gap or repeat', async () => {
    const first = await startRelay();
    const second = await startRelay();
    const reading = [await first.reads(), await second.reads()];
    expect(reading.filter(Boolean)).toHaveLength(1);
    const [holder, survivor] = reading[0] ? [first, second] : [second, first];

    const onSurvivor = await TestClient.open(survivor.ws('live'));
    const onHolder = await TestClient.open(holder.ws('live'));
    const snapshot = await onSurvivor.next('snapshot');
    expect((await onHolder.next('snapshot')).seq).toBe(snapshot.seq);

    fake.setTitle('live', 'Artist - Before the crash');
    const before = await onSurvivor.next('patch');
    expect(await onHolder.next('patch')).toEqual(before);
    expect(before.seq).toBe(snapshot.seq + 1);

    holder.child.kill('SIGKILL');
    // Changed while nobody reads: the new holder's first reading carries it.
    fake.setTitle('live', 'Artist - During the takeover');
    const takeover = await timeUntil(() => survivor.reads(), 2 * TTL + 2000, 'the survivor to take the lease');
    const during = await onSurvivor.next('patch', 5000);
    expect(during.seq).toBe(before.seq + 1);
    expect(during.patch).toMatchObject({ track: { text: 'Artist - During the takeover' } });

    fake.setTitle('live', 'Artist - After the takeover');
    const after = await onSurvivor.next('patch');
    expect(after.seq).toBe(during.seq + 1);
    // Nothing needed a resync: the only snapshot is the first one.
    expect(onSurvivor.messages.filter((m) => m.type === 'snapshot')).toHaveLength(1);
    expect(survivor.logs().some((line) => line.msg === 'lease won: reading this upstream')).toBe(true);
    console.info(`failover: the survivor read the upstream ${Math.round(takeover)} ms after the SIGKILL (lease TTL ${TTL} ms)`);
  });
});
