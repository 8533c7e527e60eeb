/**
 * The plain-HTTP side of the relay, for consumers that do not speak WebSocket (server-side renderers,
 * scripts, uptime checks): `/healthz`, `/stations`, `/stations/<id>` with ETag and CORS, and the
 * element's bundle at `/now-playing.js` (and `/now-playing.iife.js` for classic scripts).
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { WS_PATH } from '@now-playing/protocol';
import type { Hub } from './hub.js';
import type { Stations } from './stations.js';
import type { UpstreamHealth } from './upstream.js';

export interface HttpApiContext {
  /** Each upstream's health, for `/healthz` (URLs without credentials). */
  upstreams: () => UpstreamHealth[];
  stations: Stations;
  hub: Hub;
  startedAt: Date;
  /** The folder of the element's self-contained bundles, served at `/now-playing.js` and `/now-playing.iife.js`. */
  bundleDir?: string;
}

/** The element's bundles (ES module and classic script), served from `bundleDir`. */
const BUNDLE_FILES = new Set(['/now-playing.js', '/now-playing.iife.js']);

const CORS_HEADERS = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'GET, HEAD, OPTIONS',
  'access-control-allow-headers': 'if-none-match',
  'access-control-expose-headers': 'etag',
  'access-control-max-age': '86400',
};

export function createHttpHandler(context: HttpApiContext): (req: IncomingMessage, res: ServerResponse) => void {
  const { stations, hub } = context;
  const bundles = new Map<string, Promise<{ body: Buffer; etag: string } | undefined>>();

  return (req, res) => {
    const path = new URL(req.url ?? '/', 'http://relay').pathname;
    if (req.method === 'OPTIONS') return send(res, 204, '', {});
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return json(req, res, 405, { error: `method ${req.method} not allowed` }, { allow: 'GET, HEAD, OPTIONS' });
    }

    if (path === '/healthz') {
      const upstreams = context.upstreams();
      const ok = upstreams.every((u) => u.state === 'ok');
      // 200 as long as the relay itself serves: a failing upstream is reported, not a reason to restart us.
      return json(req, res, 200, {
        status: ok ? 'ok' : 'degraded',
        uptimeSeconds: Math.round((Date.now() - context.startedAt.getTime()) / 1000),
        clients: hub.count(),
        upstreams,
      });
    }

    if (path === '/stations' || path === '/stations/') {
      return json(req, res, 200, {
        stations: stations.list().map((s) => ({
          id: s.id,
          name: s.state.station.name,
          online: s.state.online,
          stale: s.state.stale,
          clients: hub.count(s.id),
          href: `/stations/${encodeURIComponent(s.id)}`,
          ws: `${WS_PATH}?station=${encodeURIComponent(s.id)}`,
        })),
      });
    }

    if (path.startsWith('/stations/')) {
      const id = safeDecode(path.slice('/stations/'.length));
      const station = id === undefined ? undefined : stations.get(id);
      if (!station) return json(req, res, 404, { error: `unknown station ${JSON.stringify(id ?? path)}` });
      const { body, etag } = stateJson(station.state);
      const headers = { etag, 'cache-control': 'no-cache' };
      if (matchesEtag(req.headers['if-none-match'], etag)) return send(res, 304, '', headers);
      return send(res, 200, req.method === 'HEAD' ? '' : body, { ...headers, 'content-type': 'application/json; charset=utf-8' });
    }

    if (BUNDLE_FILES.has(path) && context.bundleDir) {
      let bundle = bundles.get(path);
      if (!bundle) bundles.set(path, (bundle = loadBundle(join(context.bundleDir, path))));
      void bundle.then((file) => {
        if (!file) {
          bundles.delete(path); // look again next time: it may be built while the relay runs
          return json(req, res, 404, { error: 'the element bundle is not built (pnpm build)' });
        }
        if (matchesEtag(req.headers['if-none-match'], file.etag)) return send(res, 304, '', { etag: file.etag });
        send(res, 200, req.method === 'HEAD' ? '' : file.body, {
          'content-type': 'text/javascript; charset=utf-8',
          // A day fresh, then a week served stale while revalidating (ETag): every listener's page
          // loads it from cache, and a relay upgrade still reaches every page within a day or two.
          // Not `immutable`: the URL carries no version.
          'cache-control': 'public, max-age=86400, stale-while-revalidate=604800',
          etag: file.etag,
        });
      });
      return;
    }

    return json(req, res, 404, { error: `no route for ${path}` });
  };
}

async function loadBundle(path: string): Promise<{ body: Buffer; etag: string } | undefined> {
  try {
    const body = await readFile(path);
    return { body, etag: etagOf(body) };
  } catch {
    return undefined;
  }
}

/** A strong ETag: a digest of the exact bytes, so replicas serving the same state agree. */
function etagOf(body: string | Buffer): string {
  return `"${createHash('sha1').update(body).digest('base64url').slice(0, 22)}"`;
}

// A station's state is a new object on every change, so this serialises and hashes each state once,
// however many HTTP consumers poll it.
const stateJsonCache = new WeakMap<object, { body: string; etag: string }>();
function stateJson(state: object): { body: string; etag: string } {
  let cached = stateJsonCache.get(state);
  if (!cached) {
    const body = JSON.stringify(state);
    stateJsonCache.set(state, (cached = { body, etag: etagOf(body) }));
  }
  return cached;
}

function matchesEtag(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  return header.split(',').some((tag) => {
    const t = tag.trim();
    return t === '*' || t === etag || t === `W/${etag}`;
  });
}

function safeDecode(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}

function json(req: IncomingMessage, res: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}): void {
  const body = req.method === 'HEAD' ? '' : JSON.stringify(value);
  send(res, status, body, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-cache', ...headers });
}

function send(res: ServerResponse, status: number, body: string | Buffer, headers: Record<string, string>): void {
  res.writeHead(status, { ...CORS_HEADERS, ...headers });
  res.end(body);
}
