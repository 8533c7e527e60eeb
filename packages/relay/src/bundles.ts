/**
 * The element's self-contained bundles, served by the relay the way a CDN would serve them:
 *
 * - each bundle at `/<file>` (short cache, for the two-tag snippet that always gets the relay's
 *   current element) and at `/<name>@<version><rest>` (`/now-playing@0.1.0.js`, cached for a year,
 *   `immutable`), `<version>` being the element package's; any other version is a 404;
 * - compressed by `Accept-Encoding` (brotli preferred, then gzip, else identity), from the `.br`/`.gz`
 *   files the element build writes beside each bundle when they hold the same bytes, else compressed
 *   once in memory; `Vary: Accept-Encoding` and a strong ETag per representation;
 * - a source map is served when a bundle references one; a reference to a map that is not there is
 *   cut from the served bundle, so no browser's devtools ever get a 404.
 *
 * Everything is read and compressed once, on the first request for a bundle path, and kept: a fixed
 * set of files (BUNDLE_FILES, their maps), three representations each.
 */
import { readFileSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { brotliCompress, brotliDecompress, constants as zlib, gunzip, gzip } from 'node:zlib';
import { strongEtag } from './etag.js';
import type { Logger } from './logger.js';

/**
 * The bundles a relay serves, from its bundle folder: every one must be there (checked at startup).
 * Another bundle is one more row. `<now-playing-history>` has bundles of its own, so `<now-playing>`'s
 * do not grow for pages that show no history.
 */
export const BUNDLE_FILES: readonly string[] = ['now-playing.js', 'now-playing.iife.js', 'now-playing-history.js', 'now-playing-history.iife.js'];

/** The unversioned URL: fresh for 5 minutes, then served from cache while revalidating (ETag) for a day. */
export const SHORT_CACHE = 'public, max-age=300, stale-while-revalidate=86400';
/** The versioned URL names exactly one build: a year, never revalidated. */
export const IMMUTABLE_CACHE = 'public, max-age=31536000, immutable';

const JAVASCRIPT = 'text/javascript; charset=utf-8';
const JSON_TYPE = 'application/json; charset=utf-8';

export type ContentCoding = 'br' | 'gzip' | 'identity';

/** What the HTTP API sends for a bundle path: always a 200 body (the API turns it into 304/HEAD). */
export interface BundleResponse {
  body: Buffer;
  headers: Record<string, string>;
}

/** One representation of a file: its bytes and their strong ETag. */
interface Representation {
  body: Buffer;
  etag: string;
}

/** A served file: identity always; gzip and br only when smaller than identity. */
interface Asset {
  contentType: string;
  identity: Representation;
  gzip?: Representation;
  br?: Representation;
  /** The codings taken from the build's `.gz`/`.br` files (the others were compressed here). */
  precompressed: ContentCoding[];
}

interface Route {
  asset: Asset;
  cacheControl: string;
}

/** The BUNDLE_FILES missing from `dir` (all of them when `dir` is not a folder). */
export function missingBundleFiles(dir: string): string[] {
  return BUNDLE_FILES.filter((file) => !isFile(join(dir, file)));
}

/** `/now-playing.iife.js` at version `1.2.3` → `/now-playing@1.2.3.iife.js` (the version goes before the first dot). */
export function versionedPath(file: string, version: string): string {
  const dot = file.indexOf('.');
  return dot < 0 ? `/${file}@${version}` : `/${file.slice(0, dot)}@${version}${file.slice(dot)}`;
}

/** A path that names a bundle, at any version (for the "no bundle here" 404 of a relay without one). */
export function isBundlePath(path: string): boolean {
  return BUNDLE_FILES.some((file) => {
    const dot = file.indexOf('.');
    return path === `/${file}` || (path.startsWith(`/${file.slice(0, dot)}@`) && path.endsWith(file.slice(dot)));
  });
}

// A version goes into a URL path: semver characters only, and short.
const VERSION = /^[0-9A-Za-z.+-]{1,64}$/;

/**
 * The element package's version for the bundles in `dir`: from the nearest `package.json` named
 * `@now-playing/element` in `dir` or up to two folders above it (the package keeps them in
 * `dist/bundle/`). Undefined when there is none: then no versioned URL is served.
 */
export function elementVersion(dir: string): string | undefined {
  for (const folder of [dir, join(dir, '..'), join(dir, '..', '..')]) {
    try {
      const pkg = JSON.parse(readFileSync(join(folder, 'package.json'), 'utf8')) as { name?: unknown; version?: unknown };
      if (pkg.name === '@now-playing/element' && typeof pkg.version === 'string' && VERSION.test(pkg.version)) return pkg.version;
    } catch {
      // no such file, or not JSON: look further up
    }
  }
  return undefined;
}

/**
 * The coding to answer `Accept-Encoding` with: the highest q among br and gzip (a tie goes to br,
 * the smaller), `*` standing for any not named; identity when neither is acceptable (RFC 9110 §12.5.3:
 * an unacceptable identity is still better than a 406 for a script tag). Bounded by the request's
 * header size limit; malformed entries are ignored.
 */
export function chooseEncoding(header: string | string[] | undefined): ContentCoding {
  if (header === undefined) return 'identity';
  const q = new Map<string, number>();
  for (const entry of (Array.isArray(header) ? header.join(',') : header).split(',')) {
    const [coding = '', ...params] = entry.split(';').map((part) => part.trim().toLowerCase());
    if (!coding) continue;
    let weight = 1;
    for (const param of params) {
      const value = /^q=([01](?:\.\d{0,3})?)$/.exec(param)?.[1];
      if (param.startsWith('q=')) weight = value === undefined ? Number.NaN : Number(value);
    }
    if (weight >= 0 && weight <= 1) q.set(coding === 'x-gzip' ? 'gzip' : coding, weight);
  }
  const weightOf = (coding: string) => q.get(coding) ?? q.get('*') ?? 0;
  const [br, gz] = [weightOf('br'), weightOf('gzip')];
  if (br > 0 && br >= gz) return 'br';
  return gz > 0 ? 'gzip' : 'identity';
}

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);
const brotliAsync = promisify(brotliCompress);
const unbrotliAsync = promisify(brotliDecompress);

/** The bundles of one folder, as the HTTP API serves them. */
export class ElementBundles {
  /** The element version in the immutable URLs; undefined: only the unversioned URLs are served. */
  readonly version: string | undefined;
  readonly #dir: string;
  readonly #log: Logger;
  /** The bundle paths (unversioned and versioned) that are known before anything is read. */
  readonly #bundlePaths: Set<string>;
  #routes: Promise<Map<string, Route>> | undefined;

  /** `dir` must hold every file of BUNDLE_FILES (config.ts checks it before a relay is built). */
  constructor(dir: string, log: Logger) {
    this.#dir = dir;
    this.#log = log;
    this.version = elementVersion(dir);
    this.#bundlePaths = new Set(this.paths());
  }

  /** Every bundle URL path served, unversioned then versioned (source maps are found on load). */
  paths(): string[] {
    const versioned = this.version === undefined ? [] : BUNDLE_FILES.map((file) => versionedPath(file, this.version!));
    return [...BUNDLE_FILES.map((file) => `/${file}`), ...versioned];
  }

  /** The answer for `path`, or undefined when it names nothing here (the API answers 404). */
  async response(path: string, acceptEncoding: string | string[] | undefined): Promise<BundleResponse | undefined> {
    if (!this.#bundlePaths.has(path) && !path.endsWith('.map')) return undefined;
    const route = (await this.#load()).get(path);
    if (!route) return undefined;
    const coding = chooseEncoding(acceptEncoding);
    const representation = (coding === 'identity' ? undefined : route.asset[coding]) ?? route.asset.identity;
    const headers: Record<string, string> = {
      'content-type': route.asset.contentType,
      'cache-control': route.cacheControl,
      etag: representation.etag,
      vary: 'Accept-Encoding',
    };
    if (representation !== route.asset.identity) headers['content-encoding'] = coding;
    return { body: representation.body, headers };
  }

  /** Read, check and compress everything once; a failure is thrown to this request and retried by the next. */
  #load(): Promise<Map<string, Route>> {
    this.#routes ??= this.#read().catch((error: unknown) => {
      this.#routes = undefined;
      throw error;
    });
    return this.#routes;
  }

  async #read(): Promise<Map<string, Route>> {
    const routes = new Map<string, Route>();
    for (const file of BUNDLE_FILES) {
      let source: Buffer = await readFile(join(this.#dir, file));
      const map = sourceMapReference(source);
      if (map !== undefined && !/^[a-z][a-z0-9+.-]*:/i.test(map)) {
        // A map named beside the bundle is served; anything else relative is not ours to serve, so
        // the reference goes rather than send browsers to a 404.
        if (/^[\w.-]+\.map$/.test(map) && !map.startsWith('.') && isFile(join(this.#dir, map))) {
          const mapAsset = await this.#asset(map, await readFile(join(this.#dir, map)), JSON_TYPE);
          routes.set(`/${map}`, { asset: mapAsset, cacheControl: SHORT_CACHE });
        } else {
          this.#log.warn({ bundle: file, sourceMap: map.slice(0, 200) }, 'source map not found beside the bundle: serving the bundle without its reference');
          source = withoutSourceMapReference(source);
        }
      }
      const asset = await this.#asset(file, source, JAVASCRIPT);
      routes.set(`/${file}`, { asset, cacheControl: SHORT_CACHE });
      if (this.version !== undefined) routes.set(versionedPath(file, this.version), { asset, cacheControl: IMMUTABLE_CACHE });
      this.#log.debug(
        { bundle: file, bytes: asset.identity.body.length, gzip: asset.gzip?.body.length, br: asset.br?.body.length, precompressed: asset.precompressed },
        'element bundle loaded',
      );
    }
    return routes;
  }

  /** `body` in each coding: the precompressed file beside `file` if it decodes to `body`, else compressed here. */
  async #asset(file: string, body: Buffer, contentType: string): Promise<Asset> {
    const path = join(this.#dir, file);
    const precompressed: ContentCoding[] = [];
    const builtGzip = await this.#precompressed(`${path}.gz`, body, (b) => gunzipAsync(b, { maxOutputLength: body.length + 1 }));
    const builtBr = await this.#precompressed(`${path}.br`, body, (b) => unbrotliAsync(b, { maxOutputLength: body.length + 1 }));
    if (builtGzip) precompressed.push('gzip');
    if (builtBr) precompressed.push('br');
    const gzip = builtGzip ?? (await gzipAsync(body, { level: 9 }));
    const br =
      builtBr ??
      (await brotliAsync(body, {
        params: { [zlib.BROTLI_PARAM_QUALITY]: 11, [zlib.BROTLI_PARAM_MODE]: zlib.BROTLI_MODE_TEXT, [zlib.BROTLI_PARAM_SIZE_HINT]: body.length },
      }));
    const representation = (bytes: Buffer): Representation => ({ body: bytes, etag: strongEtag(bytes) });
    return {
      contentType,
      precompressed,
      identity: representation(body),
      // A coding that does not make the file smaller is not worth the client's CPU.
      ...(gzip.length < body.length ? { gzip: representation(gzip) } : {}),
      ...(br.length < body.length ? { br: representation(br) } : {}),
    };
  }

  /** The bytes of a precompressed file that decodes to exactly `body`; undefined (logged) when it is stale or absent. */
  async #precompressed(path: string, body: Buffer, decode: (bytes: Buffer) => Promise<Buffer>): Promise<Buffer | undefined> {
    let bytes: Buffer;
    try {
      bytes = await readFile(path);
    } catch {
      return undefined; // none: compress here
    }
    try {
      if ((await decode(bytes)).equals(body)) return bytes;
    } catch {
      // corrupt or larger than the bundle: same as stale
    }
    this.#log.warn({ file: path }, 'precompressed file does not match its bundle (an older build?): compressing in memory instead');
    return undefined;
  }
}

// The last line of a bundle, `//# sourceMappingURL=<url>` (the older `//@` form too).
const SOURCE_MAP_COMMENT = /\n?\/\/[#@] sourceMappingURL=([^\s'"]+)\s*$/;

function sourceMapReference(source: Buffer): string | undefined {
  return SOURCE_MAP_COMMENT.exec(source.subarray(-1024).toString('latin1'))?.[1];
}

function withoutSourceMapReference(source: Buffer): Buffer {
  const tail = source.subarray(-1024).toString('latin1');
  const match = SOURCE_MAP_COMMENT.exec(tail)!;
  // latin1: one byte per character, so the match index is a byte offset into the tail.
  return Buffer.concat([source.subarray(0, source.length - tail.length + match.index), Buffer.from('\n')]);
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
