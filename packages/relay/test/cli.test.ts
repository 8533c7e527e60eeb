/** The built CLI as a user runs it: a real process, real signals. Needs `pnpm build` (the test script runs it first). */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startFakeIcecast, type FakeIcecast } from '@now-playing/fake-icecast';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { closeAll, TestClient } from './helpers.js';

const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));

function run(args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, [cli, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, out: () => stdout, err: () => stderr };
}

async function until(check: () => boolean, what: string, timeout = 10_000): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The relay's URL, once the CLI says it is listening. */
async function listening(proc: ReturnType<typeof run>): Promise<string> {
  await until(() => /listening on (http:\/\/\S+)/.test(proc.out()), `the listening line (stdout: ${proc.out()} stderr: ${proc.err()})`);
  return /listening on (http:\/\/\S+)/.exec(proc.out())![1]!;
}

let fake: FakeIcecast | undefined;
afterEach(async () => {
  await closeAll();
  await fake?.close();
  fake = undefined;
});

beforeAll(() => {
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run pnpm build first`);
});

describe('now-playing-relay CLI', () => {
  it.each([
    [['--upstream', 'http://h', '--port', 'abc'], '--port: expected a whole number'],
    [['--upstream', 'nope'], '--upstream: "nope" is not a URL'],
    [['--bogus'], "Unknown option '--bogus'"],
    [[], '--upstream: at least one upstream is required'],
  ])('%j exits 2 naming the problem', async (args, message) => {
    const proc = run(args);
    expect(await proc.exited).toBe(2);
    expect(proc.err()).toContain(message);
    expect(proc.err()).toContain('--help');
  });

  it('--help prints usage and exits 0', async () => {
    const proc = run(['--help']);
    expect(await proc.exited).toBe(0);
    expect(proc.out()).toContain('Usage: now-playing-relay --upstream <url>');
  });

  it('serves snapshots, then SIGTERM closes clients with 1001 and exits 0', async () => {
    fake = await startFakeIcecast({ mounts: { '/live': { title: 'Cli - Test' } } });
    const proc = run(['--upstream', fake.url, '--port', '0', '--host', '127.0.0.1', '--log-level', 'silent']);
    const url = await listening(proc);
    const client = await TestClient.open(`${url.replace('http', 'ws')}/ws`);
    expect((await client.next('snapshot')).data.track?.text).toBe('Cli - Test');
    const started = Date.now();
    proc.child.kill('SIGTERM');
    expect((await client.closed).code).toBe(1001);
    expect(await proc.exited).toBe(0);
    // The CLI forces its exit 5 s after the signal at the latest, whatever hangs.
    expect(Date.now() - started).toBeLessThan(6000);
  });

  it('SIGHUP is logged and ignored: the relay keeps serving its clients', async () => {
    fake = await startFakeIcecast({ mounts: { '/live': { title: 'Cli - Test' } } });
    const proc = run(['--upstream', fake.url, '--port', '0', '--host', '127.0.0.1', '--log-level', 'info']);
    const url = await listening(proc);
    const client = await TestClient.open(`${url.replace('http', 'ws')}/ws`);
    await client.next('snapshot');
    proc.child.kill('SIGHUP');
    await until(() => proc.out().includes('SIGHUP ignored'), 'the SIGHUP log line');
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    fake.setTitle('live', 'After - Hangup');
    expect((await client.next('patch')).patch).toMatchObject({ track: { text: 'After - Hangup' } });
    proc.child.kill('SIGTERM');
    expect(await proc.exited).toBe(0);
    // Every log line is one JSON object (pino), the SIGHUP one included.
    const lines = proc.out().split('\n').filter((l) => l.startsWith('{'));
    expect(lines.map((l) => (JSON.parse(l) as { msg: string }).msg)).toContain('SIGHUP ignored: logs go to stdout, nothing to reopen');
  });

  it('a port in use is a clear error, not a stack trace', async () => {
    fake = await startFakeIcecast();
    const proc = run(['--upstream', fake.url, '--port', String(fake.port), '--host', '127.0.0.1', '--log-level', 'silent']);
    expect(await proc.exited).toBe(1);
    expect(proc.err()).toContain(`cannot listen on 127.0.0.1 port ${fake.port}`);
  });
});
