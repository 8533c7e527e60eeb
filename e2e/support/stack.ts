/**
 * Real processes for end-to-end tests: the fake Icecast and the relay, each started from its built
 * CLI on a free loopback port, exactly as a user runs them. Each is ended by its own PID.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
export const BUNDLE_DIR = `${root}packages/element/dist/bundle`;

/** A child process whose output is kept, so tests can wait for a line. */
export class Proc {
  readonly child: ChildProcess;
  output = '';
  readonly exited: Promise<number | null>;

  /** `script` is relative to the repository root; `nodeArgs` go before it (e.g. `--import tsx`). */
  constructor(script: string, args: string[], options: { nodeArgs?: string[]; env?: NodeJS.ProcessEnv } = {}) {
    this.child = spawn(process.execPath, [...(options.nodeArgs ?? []), `${root}${script}`, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      cwd: root,
      env: { ...process.env, ...options.env },
    });
    this.child.stdout!.on('data', (d: Buffer) => (this.output += d.toString()));
    this.child.stderr!.on('data', (d: Buffer) => (this.output += d.toString()));
    this.exited = new Promise((resolve) => this.child.on('exit', (code) => resolve(code)));
  }

  async waitFor(pattern: RegExp, timeout = 10_000): Promise<RegExpExecArray> {
    const deadline = Date.now() + timeout;
    for (;;) {
      const match = pattern.exec(this.output);
      if (match) return match;
      if (this.child.exitCode !== null || Date.now() > deadline) {
        throw new Error(`no ${pattern} from ${this.child.spawnfile}: ${this.output}`);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  signal(signal: NodeJS.Signals): void {
    if (this.child.exitCode === null && this.child.pid) process.kill(this.child.pid, signal);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    this.signal('SIGCONT'); // a frozen process cannot handle SIGTERM
    this.signal('SIGTERM');
    const timer = setTimeout(() => this.signal('SIGKILL'), 3000);
    await this.exited;
    clearTimeout(timer);
  }
}

export interface MountInit {
  title?: string;
  serverName?: string;
  listeners?: number;
}

/** The fake Icecast, driven through its HTTP control API like the demo page drives it. */
export class FakeStation {
  private constructor(
    private readonly proc: Proc,
    readonly url: string,
  ) {}

  /** `args`: more CLI flags (`--metaint 2000`, `--server shoutcast-v2`). */
  static async start(mounts: Record<string, MountInit>, args: string[] = []): Promise<FakeStation> {
    const proc = new Proc('packages/fake-icecast/dist/cli.js', ['--port', '0', ...args]);
    const [, url] = await proc.waitFor(/listening on (http:\/\/\S+)/);
    const fake = new FakeStation(proc, url!);
    await fake.control('DELETE', '/control/mounts/live'); // the CLI's default mount; tests declare their own
    for (const [mount, init] of Object.entries(mounts)) await fake.setMount(mount, init);
    return fake;
  }

  setMount(mount: string, init: MountInit): Promise<void> {
    return this.control('PUT', `/control/mounts/${mount.replace(/^\//, '')}`, init);
  }

  setTitle(mount: string, title: string): Promise<void> {
    return this.setMount(mount, { title });
  }

  fail(status = 500): Promise<void> {
    return this.control('PUT', '/control/fault', { kind: 'http-error', status });
  }

  heal(): Promise<void> {
    return this.control('DELETE', '/control/fault');
  }

  async control(method: string, path: string, body?: unknown): Promise<void> {
    const res = await fetch(`${this.url}${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    if (!res.ok && !(method === 'DELETE' && res.status === 404)) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  }

  stop(): Promise<void> {
    return this.proc.stop();
  }
}

/** The port from the relay CLI's startup log line (JSON: `"msg":"relay listening"`, `"url":"http://host:port"`). */
export async function relayPort(proc: Proc): Promise<number> {
  const [line] = await proc.waitFor(/^\{.*"msg":"relay listening".*$/m);
  const { url } = JSON.parse(line) as { url: string };
  return Number(new URL(url).port);
}

export interface RelayInit {
  heartbeat?: number;
  pollInterval?: number;
  /** More CLI flags (e.g. `--trust-proxy 127.0.0.1`). */
  args?: string[];
}

/** The relay CLI. `restart()` starts a new process on the same port (clients reconnect to it). */
export class RelayProcess {
  port = 0;
  private proc: Proc | undefined;

  private constructor(
    private readonly upstream: string,
    private readonly init: RelayInit,
  ) {}

  static async start(upstream: string, init: RelayInit = {}): Promise<RelayProcess> {
    const relay = new RelayProcess(upstream, init);
    await relay.launch(0);
    return relay;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get wsUrl(): string {
    return `ws://127.0.0.1:${this.port}/ws`;
  }

  private async launch(port: number): Promise<void> {
    const { heartbeat = 2000, pollInterval = 200, args = [] } = this.init;
    this.proc = new Proc('packages/relay/dist/cli.js', [
      '--upstream', this.upstream,
      '--host', '127.0.0.1',
      '--port', String(port),
      '--poll-interval', String(pollInterval),
      '--max-backoff', '1000',
      '--heartbeat', String(heartbeat),
      '--bundle', BUNDLE_DIR,
      '--log-level', 'info', // the startup line, which names the port, is an info line
      ...args,
    ]);
    this.port = await relayPort(this.proc);
  }

  /** Kill without a goodbye (SIGKILL: no close frames), as a crash would. */
  async kill(): Promise<void> {
    this.proc?.signal('SIGKILL');
    await this.proc?.exited;
  }

  async restart(): Promise<void> {
    await this.launch(this.port);
  }

  freeze(): void {
    this.proc?.signal('SIGSTOP');
  }

  thaw(): void {
    this.proc?.signal('SIGCONT');
  }

  /** Open WebSocket connections, as the relay counts them. */
  async clients(): Promise<number> {
    const health = (await (await fetch(`${this.url}/healthz`)).json()) as { clients: number };
    return health.clients;
  }

  async stop(): Promise<void> {
    await this.proc?.stop();
  }
}
