/**
 * `pnpm test:pack` (part of `pnpm test`, after `pnpm build`): the packages as a user gets them from npm.
 *
 * 1. `pnpm pack` every package under packages/ (pnpm rewrites `workspace:*` to versions, as
 *    `pnpm publish` does) and check each tarball: the files it ships (printed with their sizes), no
 *    `workspace:` range left, publint (strict) and @arethetypeswrong/cli (ESM-only profile: the
 *    packages are ES modules and need Node >= 20.19).
 * 2. Install the tarballs with npm into a fresh directory outside the workspace (their dependencies
 *    from the npm registry), with a minimal Vite + strict TypeScript app that imports
 *    `@now-playing/element`; the app type-checks and builds.
 * 3. (a) `npx fake-icecast` and `npx now-playing-relay --upstream <fake> --port <free>` start from that
 *    directory and the relay serves `/stations` and `/now-playing.js` (the tarball's bundle).
 *    (b) The built app, served by `vite preview`, shows a title from that relay in Chromium:
 *    e2e/consumer.spec.ts, run by Playwright with the URLs in the environment.
 *
 * Bounded: every command has a time limit and the whole run a deadline. Everything started is ended by
 * its PID and the temporary directory is removed, whatever happens.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliDecompressSync, gunzipSync, gzipSync } from 'node:zlib';

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = (name: string) => join(root, 'node_modules', '.bin', name);
const DEADLINE = Date.now() + 8 * 60_000;
const MINUTE = 60_000;

const rootPackage = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> };

// ── helpers ─────────────────────────────────────────────────────────────────────────────────────

/** Runs a command to completion within `timeout` (and the run's deadline); throws with its output on failure. */
function run(command: string, args: string[], options: { cwd: string; timeout?: number; env?: NodeJS.ProcessEnv; quiet?: boolean }): string {
  const timeout = Math.min(options.timeout ?? 2 * MINUTE, DEADLINE - Date.now());
  if (timeout <= 0) throw new Error(`test:pack: out of time before ${command} ${args.join(' ')}`);
  try {
    return execFileSync(command, args, {
      cwd: options.cwd,
      timeout,
      killSignal: 'SIGKILL',
      encoding: 'utf8',
      env: { ...process.env, ...options.env },
      stdio: options.quiet === false ? 'inherit' : 'pipe',
      maxBuffer: 64 * 1024 * 1024,
    }) ?? '';
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${command} ${args.join(' ')} failed (${e.message.split('\n')[0]})\n${e.stdout ?? ''}${e.stderr ?? ''}`);
  }
}

function check(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(`test:pack: ${message}`);
}

/**
 * A long-running child whose output is kept. It leads a process group of its own, and `stop` signals
 * that group by its PID: `npx` does not pass SIGTERM on to the program it runs.
 */
class Background {
  readonly child: ChildProcess;
  output = '';

  constructor(command: string, args: string[], cwd: string) {
    this.child = spawn(command, args, { cwd, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    this.child.stdout!.on('data', (d: Buffer) => (this.output = (this.output + d.toString()).slice(-64 * 1024)));
    this.child.stderr!.on('data', (d: Buffer) => (this.output = (this.output + d.toString()).slice(-64 * 1024)));
  }

  async waitFor(pattern: RegExp, timeout = 20_000): Promise<RegExpExecArray> {
    const deadline = Date.now() + timeout;
    for (;;) {
      const match = pattern.exec(this.output);
      if (match) return match;
      if (this.child.exitCode !== null || Date.now() > deadline) throw new Error(`no ${pattern} from ${this.child.spawnargs.join(' ')}:\n${this.output}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** SIGTERM to the group, SIGKILL after 5 s; resolves when the group's output has closed (all of it gone). */
  async stop(): Promise<void> {
    const { child } = this;
    if (!child.pid) return;
    const closed = new Promise((resolve) => (child.stdout!.closed ? resolve(undefined) : child.stdout!.once('close', resolve)));
    const signal = (name: NodeJS.Signals) => {
      try {
        process.kill(-child.pid!, name);
      } catch {
        // the group is gone already
      }
    };
    signal('SIGTERM');
    const timer = setTimeout(() => signal('SIGKILL'), 5000);
    await closed;
    clearTimeout(timer);
  }
}

/** A port nothing listens on right now (for commands that take `--port <n>`). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** GETs `url` until it answers `ok` (the process behind it may still be starting), within `timeout`. */
async function getWhenUp(url: string, timeout = 20_000): Promise<Response> {
  const deadline = Date.now() + timeout;
  for (;;) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(5000) });
      if (response.ok) return response;
      if (Date.now() > deadline) throw new Error(`${url}: ${response.status} ${await response.text()}`);
    } catch (error) {
      if (Date.now() > deadline) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

// ── 1. pack and lint ─────────────────────────────────────────────────────────────────────────────

interface Packed {
  name: string;
  tarball: string;
  files: Map<string, Buffer>;
}

/** The files of a tarball (paths without the leading `package/`). */
function readTarball(tarball: string, into: string): Map<string, Buffer> {
  mkdirSync(into, { recursive: true });
  run('tar', ['-xzf', tarball, '-C', into], { cwd: into });
  const files = new Map<string, Buffer>();
  const walk = (dir: string, prefix: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path, `${prefix}${entry.name}/`);
      else files.set(`${prefix}${entry.name}`, readFileSync(path));
    }
  };
  walk(join(into, 'package'), '');
  return files;
}

function pack(dir: string, tarballs: string): Packed {
  const out = run('pnpm', ['pack', '--pack-destination', tarballs], { cwd: join(root, 'packages', dir) });
  const tarball = out.trim().split('\n').pop()!.trim();
  check(tarball.endsWith('.tgz'), `pnpm pack in packages/${dir} printed no tarball:\n${out}`);
  const files = readTarball(tarball, join(tarballs, `${dir}-unpacked`));
  const manifest = JSON.parse(files.get('package.json')!.toString()) as { name: string };
  return { name: manifest.name, tarball, files };
}

/** What every package ships, and what none may. */
function checkContents({ name, files }: Packed): void {
  for (const required of ['package.json', 'README.md', 'LICENSE']) check(files.has(required), `${name} ships no ${required}`);
  for (const path of files.keys())
    check(!/(^|\/)(test|tests|fixtures|node_modules)\/|\.tsbuildinfo$|\.test\.[jt]s$/.test(path), `${name} ships ${path}`);
  const manifest = files.get('package.json')!.toString();
  check(!manifest.includes('workspace:'), `${name}'s packed package.json still has a workspace: range`);
  const json = JSON.parse(manifest) as { publishConfig?: { access?: string }; license?: string; repository?: unknown; engines?: unknown };
  check(json.publishConfig?.access === 'public', `${name}: publishConfig.access is not public`);
  check(json.license === 'MIT' && json.repository && json.engines, `${name}: license, repository or engines missing`);
}

const BUNDLES = ['now-playing.js', 'now-playing.iife.js'];

/** The element: trimmed module, every bundle with its precompressed forms, a manifest that documents everything. */
function checkElement({ files }: Packed): void {
  for (const path of files.keys()) check(!path.endsWith('.map') && !path.startsWith('src/'), `@now-playing/element ships ${path}`);
  for (const bundle of BUNDLES) check(files.has(`dist/bundle/${bundle}`), `@now-playing/element ships no dist/bundle/${bundle}`);
  for (const path of files.keys()) {
    if (!/^dist\/bundle\/[^/]+\.js$/.test(path)) continue;
    const bundle = path.slice('dist/bundle/'.length);
    const code = files.get(path)!;
    check(!code.toString().includes('sourceMappingURL'), `${bundle} references a source map, which is neither shipped nor served`);
    const gzip = files.get(`${path}.gz`);
    const brotli = files.get(`${path}.br`);
    check(gzip && brotli, `@now-playing/element ships ${path} without ${path}.gz and .br`);
    check(gunzipSync(gzip).equals(code), `${path}.gz is not that bundle`);
    check(brotliDecompressSync(brotli).equals(code), `${path}.br is not that bundle`);
  }
  // partysocket is inlined and trimmed as in the bundles: its long console explanations are cut.
  check(!files.get('dist/index.js')!.toString().includes('You can polyfill'), 'dist/index.js has partysocket untrimmed');

  const manifest = JSON.parse(files.get('dist/custom-elements.json')?.toString() ?? '{}') as CustomElementsManifest;
  const elements = (manifest.modules ?? []).flatMap((module) => {
    check(files.has(module.path), `custom-elements.json names ${module.path}, which is not in the package`);
    return (module.declarations ?? []).filter((declaration) => declaration.customElement);
  });
  const nowPlaying = elements.find((element) => element.tagName === 'now-playing');
  check(nowPlaying, 'custom-elements.json has no <now-playing>');
  const events = (nowPlaying.events ?? []).map((event) => event.name).sort();
  check(events.join() === 'now-playing-change,now-playing-status', `custom-elements.json: <now-playing> events are ${events.join(', ')}`);
  for (const [kind, min] of [['attributes', 5], ['members', 5], ['slots', 1], ['cssParts', 3], ['cssProperties', 8]] as const)
    check((nowPlaying[kind]?.length ?? 0) >= min, `custom-elements.json: <now-playing> has fewer than ${min} ${kind}`);
  for (const element of elements)
    for (const kind of ['attributes', 'members', 'events', 'slots', 'cssParts', 'cssProperties'] as const)
      for (const item of element[kind] ?? []) {
        check(item.description?.trim(), `custom-elements.json: <${element.tagName}> ${kind} ${item.name || '(default)'} has no description`);
        check(!item.name.startsWith('#') && item.privacy !== 'private', `custom-elements.json: <${element.tagName}> lists private ${item.name}`);
      }
}

interface CustomElementsManifest {
  modules?: { path: string; declarations?: ManifestElement[] }[];
}
type ManifestItem = { name: string; description?: string; privacy?: string };
type ManifestElement = { customElement?: boolean; tagName?: string } & {
  [K in 'attributes' | 'members' | 'events' | 'slots' | 'cssParts' | 'cssProperties']?: ManifestItem[];
};

function lint({ name, tarball }: Packed): void {
  run(bin('publint'), ['run', tarball, '--strict'], { cwd: root });
  // ESM only by design: the node10 and require() resolutions do not apply.
  run(bin('attw'), [tarball, '--profile', 'esm-only', '--format', 'ascii'], { cwd: root });
  console.log(`  ${name}: publint --strict clean, attw (esm-only) clean`);
}

function printFiles({ name, tarball, files }: Packed): void {
  const sizes = [...files].map(([path, bytes]) => ({ path, size: bytes.length })).sort((a, b) => a.path.localeCompare(b.path));
  const unpacked = sizes.reduce((sum, file) => sum + file.size, 0);
  console.log(`\n${name}: ${files.size} files, ${readFileSync(tarball).length.toLocaleString('en')} B packed, ${unpacked.toLocaleString('en')} B unpacked`);
  for (const { path, size } of sizes) console.log(`  ${size.toLocaleString('en').padStart(9)}  ${path}`);
}

// ── 2. a consumer outside the workspace ──────────────────────────────────────────────────────────

/** A minimal Vite + strict TypeScript app that uses the element through the package's types. */
function writeConsumerApp(app: string): void {
  mkdirSync(join(app, 'src'), { recursive: true });
  writeFileSync(
    join(app, 'index.html'),
    `<!doctype html>\n<html lang="en">\n<head><meta charset="utf-8"><link rel="icon" href="data:,"><title>consumer</title></head>\n<body>\n<script type="module" src="/src/main.ts"></script>\n</body>\n</html>\n`,
  );
  writeFileSync(
    join(app, 'src', 'main.ts'),
    `import '@now-playing/element';
import type { NowPlayingElement, NowPlayingStatusDetail } from '@now-playing/element';

// The relay's endpoint and the station come from the page's query (?src=…&station=…).
const query = new URLSearchParams(location.search);
const element: NowPlayingElement = document.createElement('now-playing');
element.src = query.get('src') ?? '';
element.station = query.get('station') ?? undefined;
element.scrollMode = 'never';
element.textContent = 'Consumer fallback';
element.addEventListener('now-playing-status', (event) => {
  const detail: NowPlayingStatusDetail = event.detail;
  document.body.dataset['status'] = detail.status;
});
document.body.append(element);

/** Never called: proves the checker uses the package's types (each line is an error without them). */
export function typeErrors(playing: NowPlayingElement): void {
  // @ts-expect-error: not a scroll mode
  playing.scrollMode = 'sideways';
  // @ts-expect-error: read-only
  playing.status = 'live';
  // @ts-expect-error: the detail has no such field
  playing.addEventListener('now-playing-change', (event) => event.detail.nope);
}
`,
  );
  // Vite's module-preload polyfill off, so the app's JavaScript is the element and the few lines above.
  writeFileSync(
    join(app, 'vite.config.ts'),
    `import { defineConfig } from 'vite';\n\nexport default defineConfig({ build: { modulePreload: { polyfill: false } } });\n`,
  );
  writeFileSync(
    join(app, 'tsconfig.json'),
    JSON.stringify(
      {
        compilerOptions: {
          target: 'ES2022',
          module: 'ESNext',
          moduleResolution: 'bundler',
          lib: ['ES2022', 'DOM', 'DOM.Iterable'],
          types: ['vite/client'],
          strict: true,
          noUncheckedIndexedAccess: true,
          noPropertyAccessFromIndexSignature: true,
          verbatimModuleSyntax: true,
          isolatedModules: true,
          noEmit: true,
          // The packages' declarations are checked too, under the consumer's strict settings.
          skipLibCheck: false,
        },
        include: ['src'],
      },
      null,
      2,
    ),
  );
}

// ── main ─────────────────────────────────────────────────────────────────────────────────────────

const temp = mkdtempSync(join(tmpdir(), 'now-playing-pack-'));
const running: Background[] = [];
const cleanUp = async () => {
  await Promise.all(running.map((proc) => proc.stop()));
  rmSync(temp, { recursive: true, force: true });
};
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.once(signal, () => void cleanUp().finally(() => process.exit(130)));

try {
  const tarballs = join(temp, 'tarballs');
  mkdirSync(tarballs);
  const packageDirs = readdirSync(join(root, 'packages'), { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
  console.log(`» packing ${packageDirs.join(', ')}`);
  const packed = packageDirs.map((dir) => pack(dir, tarballs));
  for (const p of packed) checkContents(p);
  const element = packed.find((p) => p.name === '@now-playing/element');
  check(element, 'no @now-playing/element package');
  checkElement(element);
  for (const p of packed) printFiles(p);

  console.log('\n» publint and attw on each tarball');
  for (const p of packed) lint(p);

  console.log(`\n» installing the tarballs with npm into ${temp}/consumer`);
  const consumer = join(temp, 'consumer');
  mkdirSync(consumer);
  writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'now-playing-consumer', private: true, type: 'module' }, null, 2));
  const tools = ['vite', 'typescript'].map((name) => `${name}@${rootPackage.devDependencies[name]}`);
  run('npm', ['install', '--save-exact', '--no-audit', '--no-fund', '--loglevel=error', ...packed.map((p) => p.tarball), ...tools], {
    cwd: consumer,
    timeout: 5 * MINUTE,
  });

  console.log('» the consumer app type-checks (strict, skipLibCheck off) and builds');
  const app = join(consumer, 'app');
  writeConsumerApp(app);
  run(join(consumer, 'node_modules', '.bin', 'tsc'), ['-p', app], { cwd: consumer });
  run(join(consumer, 'node_modules', '.bin', 'vite'), ['build', '--logLevel', 'warn'], { cwd: app });
  const assets = readdirSync(join(app, 'dist', 'assets')).filter((file) => file.endsWith('.js'));
  const appJs = Buffer.concat(assets.map((file) => readFileSync(join(app, 'dist', 'assets', file))));
  check(!appJs.toString().includes('You can polyfill'), "the app's bundle has partysocket untrimmed");
  const standaloneGzip = gzipSync(element.files.get('dist/bundle/now-playing.js')!, { level: 9 }).length;
  const appGzip = gzipSync(appJs, { level: 9 }).length;
  console.log(`  the app's JavaScript: ${appGzip.toLocaleString('en')} B gzip; the relay-served now-playing.js: ${standaloneGzip.toLocaleString('en')} B gzip`);
  // The same code as the bundle (lit, protocol, element) plus the app's few lines. Untrimmed partysocket
  // and unmangled members would add about 750 B (6 %); 3 % leaves room for the app and the bundler.
  check(appGzip <= standaloneGzip * 1.03, `the app's JavaScript is more than 3 % larger than now-playing.js: the package is not trimmed like the bundle`);

  console.log('» (a) npx now-playing-relay --upstream <fake-icecast> --port <free>');
  const fake = new Background('npx', ['--no-install', 'fake-icecast', '--port', '0', '--title', 'Nina Simone - Feeling Good'], consumer);
  running.push(fake);
  const [, fakeUrl] = await fake.waitFor(/listening on (http:\/\/\S+)/);
  const relayPort = await freePort();
  const relay = new Background('npx', ['--no-install', 'now-playing-relay', '--upstream', fakeUrl!, '--port', String(relayPort), '--host', '127.0.0.1', '--poll-interval', '250'], consumer);
  running.push(relay);
  const relayUrl = `http://127.0.0.1:${relayPort}`;
  const stations = (await (await getWhenUp(`${relayUrl}/stations`)).json()) as unknown;
  check(JSON.stringify(stations).includes('"live"'), `/stations does not list the fake's station: ${JSON.stringify(stations)}`);
  for (const bundle of BUNDLES) {
    const response = await getWhenUp(`${relayUrl}/${bundle}`);
    check(/javascript/.test(response.headers.get('content-type') ?? ''), `/${bundle} is served as ${response.headers.get('content-type')}`);
    check(Buffer.from(await response.arrayBuffer()).equals(element.files.get(`dist/bundle/${bundle}`)!), `/${bundle} is not the installed element's bundle`);
  }
  check(!/not built/i.test(relay.output), `the installed relay says the bundle is not built:\n${relay.output}`);
  console.log(`  ${relayUrl} serves /stations and the installed element's /now-playing.js and /now-playing.iife.js`);

  console.log('» (b) the app, served by vite preview, shows a title from that relay in Chromium (Playwright)');
  const previewPort = await freePort();
  const preview = new Background(join(consumer, 'node_modules', '.bin', 'vite'), ['preview', '--host', '127.0.0.1', '--port', String(previewPort), '--strictPort'], app);
  running.push(preview);
  const appUrl = `http://127.0.0.1:${previewPort}/?src=${encodeURIComponent(`ws://127.0.0.1:${relayPort}/ws`)}&station=live`;
  await getWhenUp(appUrl);
  run(bin('playwright'), ['test', 'e2e/consumer.spec.ts'], {
    cwd: root,
    timeout: 3 * MINUTE,
    env: { NOW_PLAYING_CONSUMER_APP: appUrl, NOW_PLAYING_CONSUMER_FAKE: fakeUrl },
    quiet: false,
  });
  console.log('\ntest:pack: every package packs, lints clean, installs from its tarball and works');
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
} finally {
  await cleanUp();
}
