/**
 * The element bundles served like a CDN serves them (src/bundles.ts), over a real relay and node:http
 * (which, unlike fetch, neither asks for nor undoes a content coding, so the bytes on the wire are
 * what is checked): Accept-Encoding negotiation, precompressed files and their staleness, versioned
 * immutable URLs, ETag/304/HEAD per representation, source maps, and the startup check of the folder.
 */
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync, brotliDecompressSync, constants, gunzipSync, gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { BUNDLE_FILES, chooseEncoding, IMMUTABLE_CACHE, isBundlePath, SHORT_CACHE, versionedPath } from '../src/bundles.js';
import { ConfigError } from '../src/config.js';
import { createRelay } from '../src/index.js';
import { captureLogs, closeAll, startStack } from './helpers.js';

afterEach(closeAll);

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** One request with exactly these headers; the body as received (still encoded). */
function get(base: string, path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}${path}`, { method, headers, timeout: 5000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer for ${path}`)));
    req.on('error', reject);
    req.end();
  });
}

function decode(answer: Answer): Buffer {
  const coding = answer.headers['content-encoding'];
  if (coding === 'br') return brotliDecompressSync(answer.body);
  if (coding === 'gzip') return gunzipSync(answer.body);
  expect(coding).toBeUndefined();
  return answer.body;
}

/** A bundle big enough for compression to pay (a few KB of varied but repetitive code). */
function bundleSource(name: string, trailer = ''): string {
  const lines = Array.from({ length: 200 }, (_, i) => `export const ${name}${i} = () => "now playing ${i % 7} ${name}";`);
  return `${lines.join('\n')}\n${trailer}`;
}

/** A package folder as npm installs it: package.json at the top, bundles in dist/bundle. */
async function elementPackage(version: string | undefined, files: Record<string, string | Buffer> = {}): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'np-element-'));
  const dir = join(root, 'dist', 'bundle');
  await mkdir(dir, { recursive: true });
  if (version !== undefined) await writeFile(join(root, 'package.json'), JSON.stringify({ name: '@now-playing/element', version }));
  const contents: Record<string, string | Buffer> = {
    'now-playing.js': bundleSource('esm'),
    'now-playing.iife.js': bundleSource('iife'),
    'now-playing-history.js': bundleSource('historyEsm'),
    'now-playing-history.iife.js': bundleSource('historyIife'),
    ...files,
  };
  for (const [name, content] of Object.entries(contents)) await writeFile(join(dir, name), content);
  return dir;
}

describe('chooseEncoding', () => {
  it.each([
    [undefined, 'identity'],
    ['', 'identity'],
    ['gzip, deflate, br, zstd', 'br'],
    ['gzip, deflate', 'gzip'],
    ['x-gzip', 'gzip'],
    ['br;q=0.5, gzip', 'gzip'],
    ['br;q=0.5, gzip;q=0.5', 'br'],
    ['br;q=0, gzip;q=0', 'identity'],
    ['*', 'br'],
    ['*;q=0, gzip', 'gzip'],
    ['identity', 'identity'],
    ['BR', 'br'],
    ['br;q=2, gzip', 'gzip'],
    ['br;q=abc', 'identity'],
    [' ,; , gzip ;q=0.8', 'gzip'],
    [['gzip', 'br'], 'br'],
  ] as const)('%j → %s', (header, coding) => {
    expect(chooseEncoding(header as string | string[] | undefined)).toBe(coding);
  });
});

describe('bundle paths', () => {
  it('puts the version before the first dot and recognises any version', () => {
    expect(versionedPath('now-playing.js', '1.2.3')).toBe('/now-playing@1.2.3.js');
    expect(versionedPath('now-playing.iife.js', '1.2.3-beta.1')).toBe('/now-playing@1.2.3-beta.1.iife.js');
    expect(isBundlePath('/now-playing.js')).toBe(true);
    expect(isBundlePath('/now-playing@9.9.9.iife.js')).toBe(true);
    expect(isBundlePath('/now-playing.css')).toBe(false);
    expect(isBundlePath('/stations')).toBe(false);
  });
});

describe('serving the bundles', () => {
  it('negotiates br, gzip or identity, each with its own length and ETag, and Vary on every one', async () => {
    const dir = await elementPackage('1.2.3');
    const stack = await startStack(undefined, { bundleDir: dir });
    const source = Buffer.from(bundleSource('esm'));
    const identity = await get(stack.base, '/now-playing.js');
    const gzip = await get(stack.base, '/now-playing.js', { 'accept-encoding': 'gzip, deflate' });
    const br = await get(stack.base, '/now-playing.js', { 'accept-encoding': 'gzip, deflate, br, zstd' });
    expect([identity.status, gzip.status, br.status]).toEqual([200, 200, 200]);
    expect(identity.headers['content-encoding']).toBeUndefined();
    expect(gzip.headers['content-encoding']).toBe('gzip');
    expect(br.headers['content-encoding']).toBe('br');
    for (const answer of [identity, gzip, br]) {
      expect(decode(answer).equals(source)).toBe(true);
      expect(answer.headers['content-length']).toBe(String(answer.body.length));
      expect(answer.headers.vary).toBe('Accept-Encoding');
      expect(answer.headers['content-type']).toBe('text/javascript; charset=utf-8');
      expect(answer.headers['cache-control']).toBe(SHORT_CACHE);
    }
    expect(br.body.length).toBeLessThan(gzip.body.length);
    expect(gzip.body.length).toBeLessThan(identity.body.length);
    expect(new Set([identity.headers.etag, gzip.headers.etag, br.headers.etag]).size).toBe(3);
  });

  it('answers 304 to the ETag of the representation it would send, and 200 to another one', async () => {
    const stack = await startStack(undefined, { bundleDir: await elementPackage('1.2.3') });
    const gzip = await get(stack.base, '/now-playing.js', { 'accept-encoding': 'gzip' });
    const br = await get(stack.base, '/now-playing.js', { 'accept-encoding': 'br' });
    const cached = await get(stack.base, '/now-playing.js', { 'accept-encoding': 'gzip', 'if-none-match': gzip.headers.etag as string });
    expect(cached.status).toBe(304);
    expect(cached.body.length).toBe(0);
    expect(cached.headers.etag).toBe(gzip.headers.etag);
    expect(cached.headers.vary).toBe('Accept-Encoding');
    expect(cached.headers['content-encoding']).toBeUndefined();
    // The client has the br bytes but now only accepts gzip: it must get the gzip representation.
    const other = await get(stack.base, '/now-playing.js', { 'accept-encoding': 'gzip', 'if-none-match': br.headers.etag as string });
    expect(other.status).toBe(200);
    expect(other.headers['content-encoding']).toBe('gzip');
  });

  it('HEAD answers the GET headers of each representation, without a body', async () => {
    const stack = await startStack(undefined, { bundleDir: await elementPackage('1.2.3') });
    for (const encoding of ['', 'gzip', 'br']) {
      for (const path of ['/now-playing.iife.js', '/now-playing@1.2.3.iife.js']) {
        const full = await get(stack.base, path, { 'accept-encoding': encoding });
        const head = await get(stack.base, path, { 'accept-encoding': encoding }, 'HEAD');
        const { date: _a, ...fullHeaders } = full.headers;
        const { date: _b, ...headHeaders } = head.headers;
        expect(head.status).toBe(200);
        expect(headHeaders, `${path} ${encoding}`).toEqual(fullHeaders);
        expect(head.body.length).toBe(0);
      }
    }
  });

  it('serves the versioned URLs immutable for a year; any other version is a 404', async () => {
    const stack = await startStack(undefined, { bundleDir: await elementPackage('1.2.3') });
    expect(stack.relay.config.bundleDir).toBeDefined();
    const plain = await get(stack.base, '/now-playing.iife.js', { 'accept-encoding': 'br' });
    const versioned = await get(stack.base, '/now-playing@1.2.3.iife.js', { 'accept-encoding': 'br' });
    expect(versioned.status).toBe(200);
    expect(versioned.headers['cache-control']).toBe(IMMUTABLE_CACHE);
    expect(plain.headers['cache-control']).toBe(SHORT_CACHE);
    expect(versioned.body.equals(plain.body)).toBe(true);
    expect(versioned.headers.etag).toBe(plain.headers.etag);
    expect(decode(versioned).toString()).toBe(bundleSource('iife'));
    for (const wrong of ['/now-playing@1.2.4.js', '/now-playing@1.2.js', '/now-playing@.js', '/now-playing@1.2.3.css', '/now-playing@1.2.3.iife.js.map']) {
      const answer = await get(stack.base, wrong);
      expect(answer.status, wrong).toBe(404);
      expect(JSON.parse(answer.body.toString()), wrong).toEqual({ error: 'not found' });
    }
  });

  it('serves no versioned URL when no @now-playing/element package.json is found above the folder', async () => {
    const { logger, lines } = captureLogs('info');
    const dir = await elementPackage(undefined, { 'package.json': JSON.stringify({ name: 'someone-else', version: '1.0.0' }) });
    const stack = await startStack(undefined, { bundleDir: dir }, logger);
    expect((await get(stack.base, '/now-playing.js')).status).toBe(200);
    expect((await get(stack.base, '/now-playing@1.0.0.js')).status).toBe(404);
    const listening = lines().find((line) => line.msg === 'relay listening');
    expect(listening?.bundles).toEqual(['/now-playing.js', '/now-playing.iife.js', '/now-playing-history.js', '/now-playing-history.iife.js']);
  });

  it('uses the build\'s precompressed files when they hold the bundle\'s bytes', async () => {
    const source = bundleSource('esm');
    // Level 1 and quality 1: bytes that differ from what the relay itself would make (9 and 11).
    const builtGzip = gzipSync(source, { level: 1 });
    const builtBr = brotliCompressSync(source, { params: { [constants.BROTLI_PARAM_QUALITY]: 1 } });
    const { logger, lines } = captureLogs('debug');
    const dir = await elementPackage('1.2.3', { 'now-playing.js.gz': builtGzip, 'now-playing.js.br': builtBr });
    const stack = await startStack(undefined, { bundleDir: dir }, logger);
    expect((await get(stack.base, '/now-playing.js', { 'accept-encoding': 'gzip' })).body.equals(builtGzip)).toBe(true);
    expect((await get(stack.base, '/now-playing.js', { 'accept-encoding': 'br' })).body.equals(builtBr)).toBe(true);
    expect(gzipSync(source, { level: 9 }).equals(builtGzip)).toBe(false); // so the check above means something
    const loaded = lines().filter((line) => line.msg === 'element bundle loaded');
    expect(loaded.map((line) => [line.bundle, line.precompressed])).toEqual([
      ['now-playing.js', ['gzip', 'br']],
      ['now-playing.iife.js', []],
      ['now-playing-history.js', []],
      ['now-playing-history.iife.js', []],
    ]);
    expect(lines().filter((line) => line.level === 40)).toEqual([]);
  });

  it('ignores a stale or corrupt precompressed file (one warning each) and compresses the bundle itself', async () => {
    const { logger, lines } = captureLogs('debug');
    const dir = await elementPackage('1.2.3', {
      'now-playing.js.gz': gzipSync(bundleSource('old')), // same length as the bundle, other bytes
      'now-playing.js.br': Buffer.from('not brotli at all'),
    });
    const stack = await startStack(undefined, { bundleDir: dir }, logger);
    for (const encoding of ['gzip', 'br']) {
      const answer = await get(stack.base, '/now-playing.js', { 'accept-encoding': encoding });
      expect(answer.headers['content-encoding']).toBe(encoding);
      expect(decode(answer).toString()).toBe(bundleSource('esm'));
    }
    const warnings = lines().filter((line) => line.level === 40);
    expect(warnings.map((line) => line.file)).toEqual([join(dir, 'now-playing.js.gz'), join(dir, 'now-playing.js.br')]);
  });

  it('sends a file that compression would not shrink as identity, whatever is accepted', async () => {
    const dir = await elementPackage('1.2.3', { 'now-playing.js': 'x' });
    const stack = await startStack(undefined, { bundleDir: dir });
    const answer = await get(stack.base, '/now-playing.js', { 'accept-encoding': 'br, gzip' });
    expect(answer.headers['content-encoding']).toBeUndefined();
    expect(answer.body.toString()).toBe('x');
    expect(answer.headers.vary).toBe('Accept-Encoding');
  });

  it('serves a source map a bundle references, compressed too', async () => {
    const map = JSON.stringify({ version: 3, sources: ['a.ts'], names: [], mappings: 'AAAA;'.repeat(500) });
    const dir = await elementPackage('1.2.3', {
      'now-playing.js': bundleSource('esm', '//# sourceMappingURL=now-playing.js.map\n'),
      'now-playing.js.map': map,
    });
    const stack = await startStack(undefined, { bundleDir: dir });
    const bundle = await get(stack.base, '/now-playing@1.2.3.js');
    expect(bundle.body.toString()).toMatch(/\/\/# sourceMappingURL=now-playing\.js\.map\n$/);
    const served = await get(stack.base, '/now-playing.js.map', { 'accept-encoding': 'gzip' });
    expect(served.status).toBe(200);
    expect(served.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(served.headers['content-encoding']).toBe('gzip');
    expect(decode(served).toString()).toBe(map);
    expect((await get(stack.base, '/now-playing.iife.js.map')).status).toBe(404); // not referenced, not served
  });

  it('cuts the reference to a map that is not there, in every representation (no 404 for devtools)', async () => {
    const { logger, lines } = captureLogs('info');
    const dir = await elementPackage('1.2.3', {
      'now-playing.js': bundleSource('esm', '//# sourceMappingURL=now-playing.js.map\n'),
      'now-playing.iife.js': bundleSource('iife', '//# sourceMappingURL=../elsewhere/now-playing.iife.js.map'),
    });
    const stack = await startStack(undefined, { bundleDir: dir }, logger);
    for (const path of ['/now-playing.js', '/now-playing.iife.js']) {
      for (const encoding of ['', 'gzip', 'br']) {
        const text = decode(await get(stack.base, path, { 'accept-encoding': encoding })).toString();
        expect(text, `${path} ${encoding}`).not.toContain('sourceMappingURL');
        expect(text).toContain('now playing 6');
      }
    }
    expect((await get(stack.base, '/now-playing.js.map')).status).toBe(404);
    expect(lines().filter((line) => line.level === 40).map((line) => line.bundle)).toEqual(['now-playing.js', 'now-playing.iife.js']);
  });

  it('keeps an absolute source map URL as it is (not ours to serve)', async () => {
    const dir = await elementPackage('1.2.3', { 'now-playing.js': bundleSource('esm', '//# sourceMappingURL=https://cdn.example/now-playing.js.map\n') });
    const stack = await startStack(undefined, { bundleDir: dir });
    expect((await get(stack.base, '/now-playing.js')).body.toString()).toContain('sourceMappingURL=https://cdn.example/now-playing.js.map');
  });

  it('a relay without bundles answers their paths with a 404 that says so, not a build hint', async () => {
    const stack = await startStack();
    for (const path of ['/now-playing.js', '/now-playing.iife.js', '/now-playing@1.2.3.js']) {
      const answer = await get(stack.base, path);
      expect(answer.status).toBe(404);
      expect(JSON.parse(answer.body.toString())).toEqual({ error: 'this relay serves no element bundle' });
    }
  });
});

describe('the bundle folder is checked before the relay starts', () => {
  it('names the option and every missing bundle', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'np-empty-'));
    expect(() => createRelay({ upstreams: ['http://127.0.0.1:9'], bundleDir: empty })).toThrow(ConfigError);
    expect(() => createRelay({ upstreams: ['http://127.0.0.1:9'], bundleDir: empty })).toThrow(
      `bundleDir: ${JSON.stringify(empty)} has no ${BUNDLE_FILES.join(' and no ')}`,
    );
    const half = await mkdtemp(join(tmpdir(), 'np-half-'));
    await writeFile(join(half, 'now-playing.js'), 'x');
    expect(() => createRelay({ upstreams: ['http://127.0.0.1:9'], bundleDir: half })).toThrow(/has no now-playing\.iife\.js and no now-playing-history\.js and no now-playing-history\.iife\.js: expected the folder/);
    expect(() => createRelay({ upstreams: ['http://127.0.0.1:9'], bundleDir: '/nonexistent/dir' })).toThrow(/has no now-playing\.js and no now-playing\.iife\.js/);
  });
});
