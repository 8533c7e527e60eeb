/** The built CLI as a user runs it: a real process, real signals. Needs `pnpm build` (the test script runs it first). */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { cp, mkdir, mkdtemp, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startFakeIcecast, type FakeIcecast } from '@now-playing/fake-icecast';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { closeAll, TestClient } from './helpers.js';

const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
/** The element's built bundles in this workspace (`pnpm build`). */
const BUNDLE_DIR = fileURLToPath(new URL('../../element/dist/bundle', import.meta.url));

function run(args: string[], env: Record<string, string> = {}, script = cli) {
  const child = spawn(process.execPath, [script, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
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

/** stdout's complete lines, each parsed as the JSON object it must be. */
function logLines(proc: ReturnType<typeof run>): Record<string, unknown>[] {
  return proc
    .out()
    .split('\n')
    .slice(0, -1)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** The relay's URL, from its startup log line (`"msg":"relay listening"`, needs `--log-level info`). */
async function listening(proc: ReturnType<typeof run>): Promise<string> {
  const startup = () => logLines(proc).find((line) => line.msg === 'relay listening');
  await until(() => startup() !== undefined, `the startup line (stdout: ${proc.out()} stderr: ${proc.err()})`);
  return startup()!.url as string;
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
    const proc = run(['--upstream', fake.url, '--port', '0', '--host', '127.0.0.1', '--log-level', 'info']);
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

  it('every stdout line is one JSON object, the startup line included (url, websocket, bundle URLs)', async () => {
    fake = await startFakeIcecast({ mounts: { '/live': { title: 'Cli - Test' } } });
    const proc = run(['--upstream', fake.url, '--port', '0', '--host', '127.0.0.1', '--log-level', 'info', '--bundle', BUNDLE_DIR]);
    const url = await listening(proc);
    expect((await fetch(`${url}/now-playing.js`)).status).toBe(200);
    proc.child.kill('SIGTERM');
    expect(await proc.exited).toBe(0);
    expect(proc.out()).not.toMatch(/^now-playing-relay listening/m);
    const lines = logLines(proc); // throws on any line that is not JSON
    const startup = lines.find((line) => line.msg === 'relay listening')!;
    expect(startup).toMatchObject({ level: 30, name: 'now-playing-relay', url, websocket: `${url.replace('http', 'ws')}/ws`, stations: ['live'] });
    const { version } = JSON.parse(readFileSync(`${BUNDLE_DIR}/../../package.json`, 'utf8')) as { version: string };
    expect(startup.bundles).toEqual([
      '/now-playing.js',
      '/now-playing.iife.js',
      '/now-playing-history.js',
      '/now-playing-history.iife.js',
      `/now-playing@${version}.js`,
      `/now-playing@${version}.iife.js`,
      `/now-playing-history@${version}.js`,
      `/now-playing-history@${version}.iife.js`,
    ]);
    expect(lines.map((line) => line.msg)).toEqual(expect.arrayContaining(['shutting down', 'relay stopped']));
    expect(proc.err()).toBe('');
  });

  it('--log-format pretty prints human-readable lines; NOW_PLAYING_LOG_FORMAT=json keeps JSON', async () => {
    fake = await startFakeIcecast({ mounts: { '/live': { title: 'Cli - Test' } } });
    const pretty = run(['--upstream', fake.url, '--port', '0', '--host', '127.0.0.1', '--log-format', 'pretty']);
    await until(() => pretty.out().includes('relay listening'), `the pretty startup line (stdout: ${pretty.out()} stderr: ${pretty.err()})`);
    pretty.child.kill('SIGTERM');
    expect(await pretty.exited).toBe(0);
    expect(pretty.out()).toMatch(/INFO.*: relay listening/);
    expect(pretty.out()).toMatch(/url: "http:\/\/127\.0\.0\.1:\d+"/);
    expect(pretty.out().split('\n').some((line) => line.startsWith('{'))).toBe(false);
    expect(pretty.out()).not.toContain('\u001b['); // not a terminal: no colours

    const json = run(['--upstream', fake.url, '--port', '0', '--host', '127.0.0.1'], { NOW_PLAYING_LOG_FORMAT: 'json' });
    await listening(json);
    json.child.kill('SIGTERM');
    expect(await json.exited).toBe(0);
    expect(logLines(json).length).toBeGreaterThan(1);
  });

  it('a bad --log-format exits 2 naming the flag', async () => {
    const proc = run(['--upstream', 'http://127.0.0.1:9', '--log-format', 'xml']);
    expect(await proc.exited).toBe(2);
    expect(proc.err()).toContain('--log-format: expected one of auto, json, pretty, got "xml"');
  });

  it.skipIf(!existsSync('/usr/bin/script'))('on a terminal the default is pretty, and --log-format json forces JSON', async () => {
    fake = await startFakeIcecast({ mounts: { '/live': { title: 'Cli - Test' } } });
    const onTerminal = async (extra: string[]): Promise<string> => {
      // util-linux script(1) gives the relay a pseudo-terminal as stdout; its output arrives on ours.
      const command = [process.execPath, cli, '--upstream', fake!.url, '--port', '0', '--host', '127.0.0.1', ...extra].map((a) => `'${a}'`).join(' ');
      const term = spawn('script', ['-qfec', command, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
      let out = '';
      term.stdout.on('data', (d: Buffer) => (out += d.toString()));
      const exited = new Promise<void>((resolve) => term.on('exit', () => resolve()));
      await until(() => out.includes('relay listening'), `the startup line on a terminal (${out})`);
      // The relay is script's only child: end it by its PID.
      const relayPid = Number(readFileSync(`/proc/${term.pid}/task/${term.pid}/children`, 'utf8').trim().split(' ')[0]);
      process.kill(relayPid, 'SIGTERM');
      await exited;
      return out;
    };
    const auto = await onTerminal([]);
    expect(auto).toMatch(/INFO.*relay listening/);
    expect(auto).toContain('\u001b['); // a terminal gets colours
    const forced = await onTerminal(['--log-format', 'json']);
    const startup = forced.split(/\r?\n/).find((line) => line.includes('relay listening'))!;
    expect(JSON.parse(startup)).toMatchObject({ msg: 'relay listening', level: 30 });
  });

  it('--bundle (or NOW_PLAYING_BUNDLE) without the bundles exits 2 naming the flag and what is missing', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'np-empty-'));
    const flag = run(['--upstream', 'http://127.0.0.1:9', '--bundle', empty]);
    expect(await flag.exited).toBe(2);
    expect(flag.err()).toContain(`--bundle: "${empty}" has no now-playing.js and no now-playing.iife.js`);
    expect(flag.out()).toBe('');
    const env = run(['--upstream', 'http://127.0.0.1:9'], { NOW_PLAYING_BUNDLE: empty });
    expect(await env.exited).toBe(2);
    expect(env.err()).toContain(`NOW_PLAYING_BUNDLE: "${empty}" has no now-playing.js`);
  });

  it('installed without built bundles: one warning at startup, and the bundle paths are a 404 without a build hint', async () => {
    // An installation as npm lays it out, in a temporary folder: the relay's dist and package.json,
    // its dependencies linked, and an element package whose dist/bundle is missing.
    const root = await mkdtemp(join(tmpdir(), 'np-install-'));
    const modules = join(root, 'node_modules');
    const relayDir = join(modules, '@now-playing', 'relay');
    await mkdir(join(modules, '@now-playing', 'element'), { recursive: true });
    await cp(fileURLToPath(new URL('../dist', import.meta.url)), join(relayDir, 'dist'), { recursive: true });
    await cp(fileURLToPath(new URL('../package.json', import.meta.url)), join(relayDir, 'package.json'));
    await writeFile(join(modules, '@now-playing', 'element', 'package.json'), JSON.stringify({ name: '@now-playing/element', version: '9.9.9' }));
    const { dependencies } = JSON.parse(readFileSync(join(relayDir, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    for (const dependency of Object.keys(dependencies).filter((name) => name !== '@now-playing/element')) {
      const packageDir = realpathSync(fileURLToPath(new URL(`../node_modules/${dependency}`, import.meta.url)));
      await mkdir(dirname(join(modules, dependency)), { recursive: true });
      await symlink(packageDir, join(modules, dependency), 'dir');
    }
    fake = await startFakeIcecast({ mounts: { '/live': { title: 'Cli - Test' } } });
    const proc = run(['--upstream', fake.url, '--port', '0', '--host', '127.0.0.1'], {}, join(relayDir, 'dist', 'cli.js'));
    const url = await listening(proc);
    for (const path of ['/now-playing.js', '/now-playing@9.9.9.js']) {
      const res = await fetch(`${url}${path}`);
      expect(res.status).toBe(404);
      expect(await res.json()).toEqual({ error: 'this relay serves no element bundle' });
    }
    proc.child.kill('SIGTERM');
    expect(await proc.exited).toBe(0);
    const warnings = logLines(proc).filter((line) => line.level === 40);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ missing: ['now-playing.js', 'now-playing.iife.js', 'now-playing-history.js', 'now-playing-history.iife.js'] });
    expect(logLines(proc).find((line) => line.msg === 'relay listening')?.bundles).toEqual([]);
  });
});
