/**
 * A real nginx (Debian's package) in front of a relay, for the deployment test: TLS with a
 * certificate made for the test, in the foreground with its own prefix in a temporary folder, on a
 * free loopback port. The site configuration is deploy/nginx.conf itself, the file docs/deploy.md
 * shows, with the test's port, certificate and relay address put in; every substitution must match
 * exactly once, so the test fails if that file changes shape instead of quietly testing something else.
 * Stopped by its PID.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { get as httpsGet } from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../../', import.meta.url));
export const DEPLOY_NGINX_CONF = `${root}deploy/nginx.conf`;
/** The path prefix deploy/nginx.conf gives the relay. */
export const PREFIX = '/radio';

export const NGINX = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((path) => existsSync(path));

/** deploy/nginx.conf with the test's values in place of the documented ones. */
export function siteConfig(template: string, values: { port: number; cert: string; key: string; relayPort: number }): string {
  const substitutions: [RegExp | string, string][] = [
    ['listen 443 ssl;', `listen 127.0.0.1:${values.port} ssl;`],
    [/^\s*listen \[::\]:443 ssl;\n/m, ''],
    ['/etc/letsencrypt/live/radio.example.com/fullchain.pem', values.cert],
    ['/etc/letsencrypt/live/radio.example.com/privkey.pem', values.key],
    ['proxy_pass http://127.0.0.1:8080/;', `proxy_pass http://127.0.0.1:${values.relayPort}/;`],
  ];
  let config = template;
  for (const [pattern, replacement] of substitutions) {
    const count = typeof pattern === 'string' ? config.split(pattern).length - 1 : (config.match(new RegExp(pattern, 'gm')) ?? []).length;
    if (count !== 1) throw new Error(`deploy/nginx.conf: expected ${String(pattern)} once, found it ${count} times`);
    config = config.replace(pattern, replacement);
  }
  return config;
}

/** A free loopback port (nginx binds it a moment later; a lost race is retried by `start`). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export class Nginx {
  readonly #exited: Promise<void>;

  private constructor(
    private readonly child: ChildProcess,
    private readonly dir: string,
    readonly port: number,
    /** The test certificate (PEM), for clients that verify it. */
    readonly certificate: string,
    private readonly output: () => string,
  ) {
    this.#exited = new Promise((resolve) => child.once('exit', () => resolve()));
  }

  /** `https://127.0.0.1:<port>/radio`: the relay's base URL through nginx. */
  get base(): string {
    return `https://127.0.0.1:${this.port}${PREFIX}`;
  }

  /** `wss://127.0.0.1:<port>/radio/ws`: the `src` to give the element. */
  get wsUrl(): string {
    return `wss://127.0.0.1:${this.port}${PREFIX}/ws`;
  }

  static async start(relayPort: number): Promise<Nginx> {
    if (!NGINX) throw new Error('nginx is not installed (scripts/install.sh installs it: apt-get install nginx)');
    const dir = await mkdtemp(join(tmpdir(), 'np-nginx-'));
    const cert = join(dir, 'cert.pem');
    const key = join(dir, 'key.pem');
    // A one-day self-signed certificate for the names the test uses.
    await run('openssl', [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-days', '1',
      '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-keyout', key, '-out', cert,
    ]);
    const template = await readFile(DEPLOY_NGINX_CONF, 'utf8');
    let lastError: unknown;
    for (let attempt = 0; attempt < 3; attempt++) {
      const port = await freePort();
      await writeFile(join(dir, 'site.conf'), siteConfig(template, { port, cert, key, relayPort }));
      // What the test needs around the site file: nothing outside the temporary folder.
      await writeFile(
        join(dir, 'nginx.conf'),
        [
          'worker_processes 1;',
          'events { worker_connections 256; }',
          'http {',
          `  access_log ${join(dir, 'access.log')};`,
          ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((name) => `  ${name}_temp_path ${join(dir, `${name}_temp`)};`),
          `  include ${join(dir, 'site.conf')};`,
          '}',
          '',
        ].join('\n'),
      );
      const args = ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log'), '-g', `daemon off; pid ${join(dir, 'nginx.pid')};`];
      await run(NGINX, [...args, '-t']); // a configuration error fails here, with nginx's own message
      const child = spawn(NGINX, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
      child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
      const nginx = new Nginx(child, dir, port, await readFile(cert, 'utf8'), () => output);
      try {
        await nginx.#ready();
        return nginx;
      } catch (error) {
        lastError = error;
        await nginx.#end();
      }
    }
    await rm(dir, { recursive: true, force: true });
    throw lastError;
  }

  /** Until the relay's /healthz answers through nginx (bounded), or nginx exits (a port taken meanwhile). */
  async #ready(timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.child.exitCode !== null) throw new Error(`nginx exited: ${this.output()} ${await this.errorLog()}`);
      const status = await new Promise<number>((resolve) => {
        // Trusting only the test certificate: the probe also proves the TLS set-up.
        const req = httpsGet(`${this.base}/healthz`, { ca: this.certificate, timeout: 1000 }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('timeout', () => req.destroy());
        req.on('error', () => resolve(0));
      });
      if (status === 200) return;
      if (Date.now() > deadline) throw new Error(`nginx did not proxy /healthz within ${timeoutMs} ms (last status ${status}): ${await this.errorLog()}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  async errorLog(): Promise<string> {
    return readFile(join(this.dir, 'error.log'), 'utf8').catch(() => '');
  }

  async #end(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null && this.child.pid) {
      process.kill(this.child.pid, 'SIGTERM'); // the master, by its PID; its worker exits with it
      const timer = setTimeout(() => this.child.pid && this.child.exitCode === null && process.kill(this.child.pid, 'SIGKILL'), 5000);
      await this.#exited;
      clearTimeout(timer);
    }
  }

  async stop(): Promise<void> {
    await this.#end();
    await rm(this.dir, { recursive: true, force: true });
  }
}
