/**
 * A real `redis-server` (Debian's package; scripts/install.sh installs it) on a free loopback port, in
 * the foreground as a child process of the test, without persistence: a restart loses every key, as a
 * Redis without persistence does in production.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

export interface RedisServer {
  port: number;
  /** `redis://127.0.0.1:<port>` */
  url: string;
  /** SIGTERM (SIGKILL after 5 s) and wait for the exit. */
  stop(): Promise<void>;
  /** Start again on the same port (empty: nothing was saved). */
  restart(): Promise<void>;
  /** Run one redis-cli command against it; its output, trimmed. */
  cli(...args: string[]): string;
  /** The same, with `lastArgument` read from stdin (`redis-cli -x`), for values too long for a command line. */
  cliWithInput(lastArgument: string, ...args: string[]): string;
  /** Freeze the server for `ms` (DEBUG SLEEP, from another process); resolves when it answers again. */
  freeze(ms: number): Promise<void>;
}

const READY = /Ready to accept connections/;

/** Whether redis-server can be run here. */
export function haveRedisServer(): boolean {
  return spawnSync('redis-server', ['--version']).status === 0;
}

export async function startRedisServer(): Promise<RedisServer> {
  if (!haveRedisServer()) throw new Error('redis-server is not installed: run scripts/install.sh (or apt-get install redis-server)');
  const port = await freePort();
  let child = await launch(port);
  const server: RedisServer = {
    port,
    url: `redis://127.0.0.1:${port}`,
    stop: () => terminate(child),
    restart: async () => {
      await terminate(child);
      child = await launch(port);
    },
    cli: (...args) => redisCli(port, args),
    cliWithInput: (lastArgument, ...args) => redisCli(port, ['-x', ...args], lastArgument),
    freeze: (ms) =>
      new Promise((resolve, reject) => {
        const sleeper = spawn('redis-cli', ['-h', '127.0.0.1', '-p', String(port), 'DEBUG', 'SLEEP', String(ms / 1000)], { stdio: 'ignore' });
        sleeper.once('error', reject);
        sleeper.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`DEBUG SLEEP exited with ${code}`))));
      }),
  };
  return server;
}

function redisCli(port: number, args: string[], input?: string): string {
  const result = spawnSync('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], { encoding: 'utf8', timeout: 5000, ...(input === undefined ? {} : { input }) });
  if (result.status !== 0) throw new Error(`redis-cli ${args.join(' ').slice(0, 200)}: ${result.stderr || result.error?.message}`);
  return result.stdout.trim();
}

async function launch(port: number): Promise<ChildProcess> {
  // DEBUG SLEEP (a frozen Redis) is allowed from loopback only, for the command-timeout test.
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--enable-debug-command', 'local'];
  const child = spawn('redis-server', args, {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`redis-server did not start within 10 s: ${output}`)), 10_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (READY.test(output)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited with ${code}: ${output}`));
    });
  });
  child.stdout!.resume();
  child.stderr!.resume();
  return child;
}

async function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

/** A port nothing listens on right now (the OS picks it). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}
