/**
 * The plain-HTTP side of the relay, for consumers that do not speak WebSocket (server-side renderers,
 * scripts, uptime checks, Prometheus): `/healthz`, `/metrics`, `/stations`, `/stations/<id>` with ETag and CORS, and the
 * element's bundles at `/now-playing.js` and `/now-playing@<version>.js` (and the `.iife.js` classic
 * scripts), compressed and cached as bundles.ts decides.
 *
 * The handler is total: every route computes a `Reply` (sync or async), and one place turns a reply
 * into bytes or an exception into a 500 and a log line. So every answer, errors included, carries the
 * same hygiene headers, and `HEAD` is `GET` without the body by construction.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { WS_PATH } from '@now-playing/protocol';
import { isBundlePath, type ElementBundles } from './bundles.js';
import type { Hub } from './hub.js';
import { silentLogger, type Logger } from './logger.js';
import type { Metrics } from './metrics.js';
import { MAX_TARGET_LENGTH, parseRequestTarget } from './request-target.js';
import type { ScaleOutHealth } from './scale/scale-out.js';
import type { Stations } from './stations.js';
import type { UpstreamHealth } from './upstream.js';

export interface HttpApiContext {
  /** Each upstream's health, for `/healthz` (URLs without credentials). */
  upstreams: () => UpstreamHealth[];
  /** With `--redis`: the backplane's state, this instance's id and the leases it holds (`/healthz`'s `redis`). */
  redis?: () => ScaleOutHealth | undefined;
  stations: Stations;
  hub: Hub;
  /** Served at `/metrics` (Prometheus text format); without it, `/metrics` is a 404. */
  metrics?: Metrics;
  startedAt: Date;
  /** The element's self-contained bundles (`/now-playing.js`, …); without them those paths are a 404 that says so. */
  bundles?: ElementBundles;
  /** Where a failing request is logged (one line each); silent by default. */
  log?: Logger;
}

const ALLOWED_METHODS = 'GET, HEAD, OPTIONS';

/** On every answer: any page may read the API (it is public data), and no browser sniffs a type. */
const COMMON_HEADERS = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': ALLOWED_METHODS,
  'access-control-allow-headers': 'if-none-match',
  'access-control-expose-headers': 'etag',
  'access-control-max-age': '86400',
  'x-content-type-options': 'nosniff',
};

/** What a route answers; `send` turns it into the response (304, HEAD, lengths). */
interface Reply {
  status: number;
  body: string | Buffer;
  headers: Record<string, string>;
}

export function createHttpHandler(context: HttpApiContext): (req: IncomingMessage, res: ServerResponse) => void {
  const log = context.log ?? silentLogger();

  async function route(req: IncomingMessage): Promise<Reply> {
    // RFC 9112 §3.2: an HTTP/1.1 request without Host is a 400 (node:http's own check is off, so that
    // this answer carries our headers too).
    if (req.httpVersion === '1.1' && req.headers.host === undefined) return error(400, 'missing Host header');
    if ((req.url?.length ?? 0) > MAX_TARGET_LENGTH) return error(414, 'request target too long');
    const target = parseRequestTarget(req.url);
    if (!target) return error(400, 'bad request target');
    if (req.method === 'OPTIONS') return { status: 204, body: '', headers: {} };
    if (req.method !== 'GET' && req.method !== 'HEAD') return error(405, 'method not allowed', { allow: ALLOWED_METHODS });
    const path = target.pathname;

    if (path === '/healthz') {
      const upstreams = context.upstreams();
      const redis = context.redis?.();
      const ok = upstreams.every((u) => u.state === 'ok') && (redis === undefined || redis.state === 'ready');
      // 200 as long as the relay itself serves: a failing upstream (or Redis) is reported, not a reason to restart us.
      return json(200, {
        status: ok ? 'ok' : 'degraded',
        uptimeSeconds: Math.round((Date.now() - context.startedAt.getTime()) / 1000),
        clients: context.hub.count(),
        upstreams,
        ...(redis ? { redis } : {}),
      });
    }

    if (path === '/stations' || path === '/stations/') {
      return json(200, {
        stations: context.stations.list().map((s) => ({
          id: s.id,
          name: s.state.station.name,
          online: s.state.online,
          stale: s.state.stale,
          clients: context.hub.count(s.id),
          href: `/stations/${encodeURIComponent(s.id)}`,
          ws: `${WS_PATH}?station=${encodeURIComponent(s.id)}`,
        })),
      });
    }

    if (path.startsWith('/stations/')) {
      const id = safeDecode(path.slice('/stations/'.length));
      const station = id === undefined ? undefined : context.stations.get(id);
      if (!station) return error(404, 'unknown station');
      const { body, etag } = station.document();
      return { status: 200, body, headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-cache', etag } };
    }

    if (path === '/metrics' && context.metrics) {
      const { body, contentType } = await context.metrics.exposition();
      return { status: 200, body, headers: { 'content-type': contentType, 'cache-control': 'no-store' } };
    }

    if (context.bundles) {
      const bundle = await context.bundles.response(path, req.headers['accept-encoding']);
      if (bundle) return { status: 200, ...bundle };
    } else if (isBundlePath(path)) {
      return error(404, 'this relay serves no element bundle');
    }

    return error(404, 'not found');
  }

  return (req, res) => {
    // One promise chain: a throw in a route (sync or after an await) and a throw while sending both
    // end in `fail`, and `fail` itself cannot throw.
    route(req)
      .then((reply) => send(req, res, reply))
      .catch((cause: unknown) => fail(req, res, cause, log));
  };
}

/** Write `reply`: a 304 when the client has it, no body for HEAD, `Content-Length` in bytes. */
function send(req: IncomingMessage, res: ServerResponse, reply: Reply): void {
  const body = typeof reply.body === 'string' ? Buffer.from(reply.body) : reply.body;
  const headers: Record<string, string> = { ...COMMON_HEADERS, ...reply.headers };
  let status = reply.status;
  // RFC 9110 §8.6: no Content-Length on a 204. On a 304 it is the length of the 200 it stands for.
  if (status !== 204) headers['content-length'] = String(body.length);
  const etag = reply.headers.etag;
  if (status === 200 && etag !== undefined && matchesEtag(req.headers['if-none-match'], etag)) {
    status = 304;
    // RFC 9110 §15.4.5: a 304 carries ETag, Vary and Cache-Control, not the representation's metadata.
    delete headers['content-type'];
    delete headers['content-encoding'];
  }
  res.writeHead(status, headers);
  res.end(req.method === 'HEAD' || status === 304 || status === 204 ? undefined : body);
}

/** An exception in a route: a 500 if nothing was sent yet, else the connection is cut; one log line. */
function fail(req: IncomingMessage, res: ServerResponse, cause: unknown, log: Logger): void {
  try {
    log.error({ err: cause, method: req.method, url: req.url?.slice(0, 200) }, 'HTTP request failed');
    if (res.headersSent) return void res.destroy();
    send(req, res, error(500, 'internal error', { connection: 'close' }));
  } catch {
    res.destroy();
  }
}

/** A JSON error with a fixed message: it never echoes the request (no reflected content). */
function error(status: number, message: string, headers: Record<string, string> = {}): Reply {
  return json(status, { error: message }, headers);
}

function json(status: number, value: unknown, headers: Record<string, string> = {}): Reply {
  return {
    status,
    body: JSON.stringify(value),
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-cache', ...headers },
  };
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
