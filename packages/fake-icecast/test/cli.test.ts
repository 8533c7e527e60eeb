import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { describe, it, expect } from 'vitest';
import { parseCliArgs, USAGE, UsageError } from '../src/cli-args.js';
import { FAULT_KINDS } from '../src/faults.js';

const CLI = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

function runCli(args: string[]) {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], { cwd: ROOT });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  const timer = setTimeout(() => child.kill('SIGKILL'), 4500);
  exited.finally(() => clearTimeout(timer));
  return { child, exited, stdout: () => stdout, stderr: () => stderr };
}

describe('parseCliArgs', () => {
  it('has defaults', () => {
    expect(parseCliArgs([])).toEqual({ help: false, port: 8000, host: '127.0.0.1', mounts: ['/live'], server: 'icecast', icyStatusLine: false });
  });

  it('reads every flag; --mount repeats and gains a slash', () => {
    expect(parseCliArgs(['--port', '0', '--host', '::1', '--mount', '/a', '--mount=b', '--title', 'T'])).toEqual({
      help: false,
      port: 0,
      host: '::1',
      mounts: ['/a', '/b'],
      title: 'T',
      server: 'icecast',
      icyStatusLine: false,
    });
    expect(parseCliArgs(['--help']).help).toBe(true);
    expect(parseCliArgs(['--server', 'shoutcast-v1', '--metaint', '8192', '--icy-status-line'])).toMatchObject({
      server: 'shoutcast-v1',
      metaint: 8192,
      icyStatusLine: true,
    });
  });

  it.each([
    [['--port', 'abc'], '--port must be an integer from 0 to 65535, got "abc"'],
    [['--port', '65536'], '--port'],
    [['--port', '-1'], '--port'],
    [['--port'], '--port'],
    [['--nope'], '--nope'],
    [['--mount', '/'], '--mount'],
    [['--mount', '/a', '--mount', 'a'], '--mount /a is given twice'],
    [['--host', ''], '--host'],
    [['extra'], 'extra'],
    [['--server', 'nginx'], '--server must be one of icecast, shoutcast-v2, shoutcast-v1, got "nginx"'],
    [['--metaint', '0'], '--metaint must be an integer from 1 to 1048576'],
    [['--metaint', 'x'], '--metaint'],
  ])('rejects %j naming the problem', (args, message) => {
    expect(() => parseCliArgs(args)).toThrow(UsageError);
    expect(() => parseCliArgs(args)).toThrow(message);
  });
});

describe('USAGE', () => {
  it('shows every fault kind', () => {
    for (const kind of FAULT_KINDS) expect(USAGE).toContain(`{"kind":"${kind}"`);
  });
});

describe('fake-icecast CLI', () => {
  it('exits 2 on a bad flag, naming it', async () => {
    const run = runCli(['--port', 'abc']);
    const [code] = await run.exited;
    expect(code).toBe(2);
    expect(run.stderr()).toContain('fake-icecast: --port must be an integer from 0 to 65535, got "abc"');
  }, 5000);

  it('serves the given mounts and exits 0 on SIGTERM', async () => {
    const run = runCli(['--port', '0', '--mount', '/live', '--mount', '/two', '--title', 'Hello – World']);
    await expect.poll(run.stdout, { timeout: 4000 }).toMatch(/\n$/);
    const match = /^fake-icecast listening on (http:\/\/127\.0\.0\.1:\d+) \(mounts: \/live, \/two\)\n$/.exec(run.stdout());
    expect(match).not.toBeNull();
    const body = await (await fetch(`${match![1]}/status-json.xsl`, { signal: AbortSignal.timeout(2000) })).text();
    expect(body).toContain('"title":"Hello &#8211; World"');
    expect(JSON.parse(body).icestats.source).toHaveLength(2);
    run.child.kill('SIGTERM');
    expect(await run.exited).toEqual([0, null]);
  }, 5000);

  it('takes a hostile fault from another process over the control API', async () => {
    const run = runCli(['--port', '0']);
    await expect.poll(run.stdout, { timeout: 4000 }).toMatch(/\n$/);
    const url = /listening on (http:\/\/[^ ]+) /.exec(run.stdout())![1]!;
    const put = await fetch(`${url}/control/fault`, {
      method: 'PUT',
      body: JSON.stringify({ kind: 'redirect-self' }),
      signal: AbortSignal.timeout(2000),
    });
    expect(put.status).toBe(200);
    const status = await fetch(`${url}/status-json.xsl`, { redirect: 'manual', signal: AbortSignal.timeout(2000) });
    expect(status.status).toBe(302);
    expect(status.headers.get('location')).toBe(`${url}/status-json.xsl`);
    run.child.kill('SIGTERM');
    expect(await run.exited).toEqual([0, null]);
  }, 5000);
});
