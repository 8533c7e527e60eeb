/**
 * Relay configuration: defaults, validation and upstream URL resolution. Every check names the
 * option it rejects (the CLI passes its flag names, the library its property names), so a typo is
 * one clear line, not a stack trace or a silently ignored setting. Every limit is listed, with what
 * the relay does when it is hit, in docs/security.md.
 */
import { readFileSync } from 'node:fs';
import { BlockList, isIP } from 'node:net';
import { missingBundleFiles } from './bundles.js';
import { parseCharset, type Charset } from './sources/charset.js';

/** Kinds of upstream a scheme prefix can force (`icy+http://…`); see `parseUpstream`. */
export const UPSTREAM_KINDS = ['icecast', 'shoutcast', 'icy'] as const;
export type UpstreamKind = (typeof UPSTREAM_KINDS)[number];

/** One upstream, resolved from the URL the operator gave. */
export interface UpstreamSpec {
  /**
   * What the relay reads, without credentials or `?charset=`: safe to show on /healthz and in logs.
   * Icecast (and detection): the status URL. Forced Shoutcast and ICY keep their prefix
   * (`shoutcast+http://host:8000/`, `icy+http://host:8000/live`).
   */
  url: string;
  /** From `user:password@` in the given URL; sent as HTTP Basic auth, never displayed. */
  credentials?: { username: string; password: string };
  /** From `?charset=` (default `auto`: UTF-8 when valid, else Latin-1). */
  charset: Charset;
  /**
   * Forced by a scheme prefix (`icecast+`, `shoutcast+`, `icy+` before `http://` or `https://`), or
   * `icecast` for a full status URL (`….xsl`, `….json`). Absent: detected from the server (Icecast
   * status-json, then Shoutcast v2, then Shoutcast v1).
   */
  kind?: UpstreamKind;
}

export interface RelayConfig {
  /** The upstreams (see `parseUpstream`). At least one. */
  upstreams: UpstreamSpec[];
  /** Port for HTTP and WebSocket; 0 picks a free one. */
  port: number;
  /** Address to listen on; `::` is every address, IPv4 included on dual-stack hosts. */
  host: string;
  /** Milliseconds between two requests to the same upstream. */
  pollInterval: number;
  /** Milliseconds before an upstream request is abandoned. */
  requestTimeout: number;
  /** Longest delay between requests while an upstream keeps failing. */
  maxBackoff: number;
  /** Milliseconds between heartbeats (application `ping` and WebSocket protocol ping). */
  heartbeat: number;
  /** Previous tracks kept per station. */
  historyLength: number;
  /** Largest upstream response accepted, in bytes. */
  maxBodyBytes: number;
  /** A client with more than this many bytes queued is dropped (checked on every write). */
  maxBufferedBytes: number;
  /** Open WebSocket connections at most; more are refused with close code 1013. */
  maxConnections: number;
  /** Open connections per client address at most (0: no limit); more are refused with 4403. */
  maxConnectionsPerIp: number;
  /** Proxies (addresses or CIDR ranges) whose `X-Forwarded-For` names the client address. */
  trustProxy: string[];
  /** Client messages per second per connection (token bucket refill); over it: close 4429. */
  clientMessageRate: number;
  /** Client messages a connection may send in a burst (token bucket size). */
  clientMessageBurst: number;
  /** Stations one upstream may create; past it, new mounts are ignored (logged). */
  maxStationsPerUpstream: number;
  /** Milliseconds a station may stay off air before it is removed. */
  evictOfflineAfter: number;
  /** Redirects followed per upstream request. */
  maxRedirects: number;
  /** Follow an upstream's redirect to another host (never to a private address; see docs/security.md). */
  crossHostRedirects: boolean;
  /**
   * Scale-out: `redis://[:password@]host[:port][/db]` (or `rediss://`) shared by several relay
   * instances; one of them reads each upstream, every change reaches every instance. Unset: one
   * process, no Redis code runs.
   */
  redis?: string;
  /** Milliseconds a Redis lease on an upstream lasts (renewed every third); a dead holder is replaced within about this. */
  redisLeaseTtl: number;
  /** pino level: fatal, error, warn, info, debug, trace or silent. */
  logLevel: string;
  /** CLI log lines: `json` (one pino object per line), `pretty` (pino-pretty), `auto` (pretty on a terminal, else json). */
  logFormat: LogFormat;
  /**
   * A folder holding the element's self-contained bundles (`now-playing.js`, `now-playing.iife.js`),
   * served at `GET /now-playing.js` and `GET /now-playing@<version>.js` (bundles.ts); every one must
   * be there. Without it those paths are a 404.
   */
  bundleDir?: string;
}

/** What a caller gives: upstreams as URLs, everything else optional. */
export type RelayOptions = Partial<Omit<RelayConfig, 'upstreams'>> & { upstreams: string[] };

/** Headroom left below the file-descriptor limit for upstream requests, HTTP clients and logs. */
const FD_HEADROOM = 256;

/**
 * The default connection limit: the process's open-file limit less some headroom, so the relay
 * refuses cleanly (close 1013) before `accept` starts failing. 10,000 where the limit cannot be read.
 */
export function defaultMaxConnections(limitsFile = '/proc/self/limits'): number {
  try {
    const line = readFileSync(limitsFile, 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const soft = line?.split(/\s{2,}/)[1];
    if (soft === 'unlimited') return 100_000;
    const limit = Number(soft);
    if (Number.isSafeInteger(limit) && limit > 0) return Math.max(16, limit - FD_HEADROOM);
  } catch {
    // not Linux: fall through
  }
  return 10_000;
}

export const DEFAULTS: Omit<RelayConfig, 'upstreams'> = {
  port: 8080,
  host: '::',
  pollInterval: 1000,
  requestTimeout: 5000,
  maxBackoff: 30_000,
  heartbeat: 15_000,
  historyLength: 10,
  maxBodyBytes: 1024 * 1024,
  maxBufferedBytes: 1024 * 1024,
  maxConnections: defaultMaxConnections(),
  maxConnectionsPerIp: 0,
  trustProxy: [],
  clientMessageRate: 5,
  clientMessageBurst: 20,
  maxStationsPerUpstream: 100,
  evictOfflineAfter: 60 * 60 * 1000,
  maxRedirects: 3,
  crossHostRedirects: false,
  redisLeaseTtl: 10_000,
  logLevel: 'info',
  logFormat: 'auto',
};

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
export const LOG_FORMATS = ['auto', 'json', 'pretty'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/** A configuration mistake; `option` is the flag or property name to show the user. */
export class ConfigError extends Error {
  constructor(
    readonly option: string,
    message: string,
  ) {
    super(`${option}: ${message}`);
    this.name = 'ConfigError';
  }
}

/** Integer limits per numeric option: [min, max]. */
export const NUMBER_LIMITS: Record<string, [number, number]> = {
  port: [0, 65535],
  pollInterval: [100, 3_600_000],
  requestTimeout: [100, 600_000],
  maxBackoff: [100, 3_600_000],
  heartbeat: [100, 3_600_000],
  historyLength: [0, 100],
  maxBodyBytes: [1024, 256 * 1024 * 1024],
  maxBufferedBytes: [1024, 1024 * 1024 * 1024],
  maxConnections: [1, 10_000_000],
  maxConnectionsPerIp: [0, 10_000_000],
  clientMessageRate: [1, 10_000],
  clientMessageBurst: [1, 100_000],
  maxStationsPerUpstream: [1, 100_000],
  evictOfflineAfter: [1000, 365 * 24 * 3_600_000],
  maxRedirects: [0, 10],
  redisLeaseTtl: [300, 600_000],
};

/** Parse a whole number given as text (CLI flag or environment variable). */
export function parseInteger(text: string, option: string, [min, max]: [number, number]): number {
  const trimmed = text.trim();
  const value = /^-?\d+$/.test(trimmed) ? Number(trimmed) : Number.NaN;
  return checkInteger(value, option, [min, max], JSON.stringify(text));
}

function checkInteger(value: unknown, option: string, [min, max]: [number, number], shown = String(value)): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new ConfigError(option, `expected a whole number from ${min} to ${max}, got ${shown}`);
  }
  return value;
}

/**
 * An upstream is a server's base URL (`http://host:8000`: its kind is detected, see UpstreamSpec.kind),
 * a full Icecast status URL (any path ending in `.xsl` or `.json`, kept as given), or a URL with a
 * prefix that forces the kind: `icecast+http://host:8000`, `shoutcast+http://host:8000` (v2, else v1),
 * `icy+http://host:8000/live` (the in-stream metadata of that stream). `user:password@` becomes HTTP
 * Basic auth and `?charset=utf-8|latin1|auto` the charset of the text; neither is part of the URL
 * requested or shown.
 */
export function parseUpstream(upstream: string, option = 'upstreams'): UpstreamSpec {
  const shown = JSON.stringify(redactCredentials(upstream));
  const prefix = /^\s*(icecast|shoutcast|icy)\+(?=https?:)/i.exec(upstream);
  const kind = prefix?.[1]!.toLowerCase() as UpstreamKind | undefined;
  let url: URL;
  try {
    url = new URL(upstream.trim().slice(prefix ? prefix[0].trim().length : 0));
  } catch {
    throw new ConfigError(option, `${shown} is not a URL (expected e.g. http://icecast.example:8000)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError(option, `${shown} must start with http:// or https:// (or icecast+, shoutcast+ or icy+ before them)`);
  }
  const spec: UpstreamSpec = { url: '', charset: 'auto' };
  if (url.username || url.password) {
    spec.credentials = { username: safeDecode(url.username), password: safeDecode(url.password) };
    url.username = url.password = '';
  }
  const charset = url.searchParams.get('charset');
  if (charset !== null) {
    const parsed = parseCharset(charset);
    if (!parsed) throw new ConfigError(option, `${shown}: charset must be utf-8, latin1 or auto, got ${JSON.stringify(charset)}`);
    spec.charset = parsed;
    url.searchParams.delete('charset');
  }
  url.hash = '';
  if (kind === 'icy' || kind === 'shoutcast') {
    // Shoutcast's documents are found relative to its base; a stream URL is kept as given.
    if (kind === 'shoutcast') {
      url.search = '';
      if (!url.pathname.endsWith('/')) url.pathname += '/';
    }
    spec.kind = kind;
    spec.url = `${kind}+${url.href}`;
    return spec;
  }
  const statusUrl = /\.(xsl|json)$/i.test(url.pathname);
  if (!statusUrl) url.pathname = `${url.pathname.replace(/\/+$/, '')}/status-json.xsl`;
  if (kind === 'icecast' || statusUrl) spec.kind = 'icecast';
  spec.url = url.href;
  return spec;
}

/** The status URL an upstream resolves to (credentials and charset removed). */
export function statusUrlOf(upstream: string, option = 'upstreams'): string {
  return parseUpstream(upstream, option).url;
}

/** `http://user:secret@host/` → `http://host/`, for anything shown before a URL is known to be valid. */
export function redactCredentials(text: string): string {
  return text.replace(/^(\s*[a-z][a-z0-9+.-]*:\/\/)[^/?#@]*@/i, '$1');
}

/** Check `--trust-proxy` entries (addresses or CIDR ranges) and build the list they describe. */
export function trustedProxies(entries: string[], option = 'trustProxy'): BlockList {
  const list = new BlockList();
  for (const entry of entries) {
    const [address = '', prefixText, extra] = entry.trim().split('/');
    const family = isIP(address);
    const prefix = prefixText === undefined ? (family === 6 ? 128 : 32) : Number(prefixText);
    const maxPrefix = family === 6 ? 128 : 32;
    if (family === 0 || extra !== undefined || !Number.isInteger(prefix) || prefix < 0 || prefix > maxPrefix) {
      throw new ConfigError(option, `expected IP addresses or CIDR ranges such as 10.0.0.0/8, got ${JSON.stringify(entry)}`);
    }
    list.addSubnet(address, prefix, family === 6 ? 'ipv6' : 'ipv4');
  }
  return list;
}

/** Fill in defaults and validate everything; throws ConfigError naming the first bad option. */
export function resolveConfig(options: RelayOptions, names: Partial<Record<keyof RelayConfig, string>> = {}): RelayConfig {
  const name = (key: keyof RelayConfig) => names[key] ?? key;
  const given = { ...DEFAULTS, ...withoutUndefined(options) } as Omit<RelayConfig, 'upstreams'> & { upstreams: unknown };
  if (!Array.isArray(given.upstreams) || given.upstreams.length === 0 || !given.upstreams.every((u) => typeof u === 'string')) {
    throw new ConfigError(name('upstreams'), 'at least one upstream is required (an Icecast URL such as http://localhost:8000)');
  }
  // The same upstream given twice would be polled twice and its stations doubled: keep one.
  const upstreams = new Map<string, UpstreamSpec>();
  for (const text of given.upstreams as string[]) {
    const spec = parseUpstream(text, name('upstreams'));
    if (!upstreams.has(spec.url)) upstreams.set(spec.url, spec);
  }
  const config: RelayConfig = { ...given, upstreams: [...upstreams.values()] };
  for (const [key, limits] of Object.entries(NUMBER_LIMITS)) {
    checkInteger(config[key as keyof RelayConfig], name(key as keyof RelayConfig), limits);
  }
  if (typeof config.host !== 'string' || config.host === '') throw new ConfigError(name('host'), 'expected an address such as :: or 127.0.0.1');
  if (!LOG_LEVELS.includes(config.logLevel)) {
    throw new ConfigError(name('logLevel'), `expected one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(config.logLevel)}`);
  }
  if (!(LOG_FORMATS as readonly string[]).includes(config.logFormat)) {
    throw new ConfigError(name('logFormat'), `expected one of ${LOG_FORMATS.join(', ')}, got ${JSON.stringify(config.logFormat)}`);
  }
  if (config.bundleDir !== undefined) {
    if (typeof config.bundleDir !== 'string' || config.bundleDir === '') throw new ConfigError(name('bundleDir'), 'expected a folder');
    const missing = missingBundleFiles(config.bundleDir);
    if (missing.length > 0) {
      throw new ConfigError(
        name('bundleDir'),
        `${JSON.stringify(config.bundleDir)} has no ${missing.join(' and no ')}: expected the folder of the element's bundles (node_modules/@now-playing/element/dist/bundle)`,
      );
    }
  }
  if (!Array.isArray(config.trustProxy) || !config.trustProxy.every((e) => typeof e === 'string')) {
    throw new ConfigError(name('trustProxy'), 'expected a list of IP addresses or CIDR ranges');
  }
  trustedProxies(config.trustProxy, name('trustProxy'));
  if (typeof config.crossHostRedirects !== 'boolean') throw new ConfigError(name('crossHostRedirects'), 'expected true or false');
  if (config.redis !== undefined) checkRedisUrl(config.redis, name('redis'));
  return config;
}

/** `--redis` is a redis:// or rediss:// URL (shown without its password when it is not). */
function checkRedisUrl(value: unknown, option: string): void {
  const shown = typeof value === 'string' ? JSON.stringify(redactCredentials(value)) : String(value);
  let url: URL | undefined;
  try {
    url = typeof value === 'string' ? new URL(value) : undefined;
  } catch {
    // reported below
  }
  if (!url || (url.protocol !== 'redis:' && url.protocol !== 'rediss:') || url.hostname === '') {
    throw new ConfigError(option, `expected a URL such as redis://localhost:6379, got ${shown}`);
  }
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function withoutUndefined<T extends object>(object: T): Partial<T> {
  return Object.fromEntries(Object.entries(object).filter(([, v]) => v !== undefined)) as Partial<T>;
}
