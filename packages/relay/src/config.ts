/**
 * Relay configuration: defaults, validation and upstream URL resolution. Every check names the
 * option it rejects (the CLI passes its flag names, the library its property names), so a typo is
 * one clear line, not a stack trace or a silently ignored setting.
 */

export interface RelayConfig {
  /** Icecast status URLs (see `statusUrlOf`). At least one. */
  upstreams: string[];
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
  /** A client with more than this many bytes queued is dropped. */
  maxBufferedBytes: number;
  /** pino level: fatal, error, warn, info, debug, trace or silent. */
  logLevel: string;
  /**
   * A folder holding the element's self-contained bundles (`now-playing.js`, `now-playing.iife.js`),
   * served at `GET /now-playing.js` and `GET /now-playing.iife.js`; not served when absent.
   */
  bundleDir?: string;
}

export type RelayOptions = Partial<RelayConfig> & Pick<RelayConfig, 'upstreams'>;

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
  logLevel: 'info',
};

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

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
 * An upstream is an Icecast base URL (the relay appends `/status-json.xsl`) or a full status URL
 * (any path ending in `.xsl` or `.json`, kept as given).
 */
export function statusUrlOf(upstream: string, option = 'upstreams'): string {
  let url: URL;
  try {
    url = new URL(upstream.trim());
  } catch {
    throw new ConfigError(option, `${JSON.stringify(upstream)} is not a URL (expected e.g. http://icecast.example:8000)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError(option, `${JSON.stringify(upstream)} must start with http:// or https://`);
  }
  if (!/\.(xsl|json)$/i.test(url.pathname)) url.pathname = `${url.pathname.replace(/\/+$/, '')}/status-json.xsl`;
  return url.href;
}

/** Fill in defaults and validate everything; throws ConfigError naming the first bad option. */
export function resolveConfig(options: RelayOptions, names: Partial<Record<keyof RelayConfig, string>> = {}): RelayConfig {
  const name = (key: keyof RelayConfig) => names[key] ?? key;
  const config = { ...DEFAULTS, ...withoutUndefined(options) } as RelayConfig;
  if (!Array.isArray(config.upstreams) || config.upstreams.length === 0) {
    throw new ConfigError(name('upstreams'), 'at least one upstream is required (an Icecast URL such as http://localhost:8000)');
  }
  // The same upstream given twice would be polled twice and its stations doubled: keep one.
  config.upstreams = [...new Set(config.upstreams.map((u) => statusUrlOf(u, name('upstreams'))))];
  for (const [key, limits] of Object.entries(NUMBER_LIMITS)) {
    checkInteger(config[key as keyof RelayConfig], name(key as keyof RelayConfig), limits);
  }
  if (typeof config.host !== 'string' || config.host === '') throw new ConfigError(name('host'), 'expected an address such as :: or 127.0.0.1');
  if (!LOG_LEVELS.includes(config.logLevel)) {
    throw new ConfigError(name('logLevel'), `expected one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(config.logLevel)}`);
  }
  return config;
}

function withoutUndefined<T extends object>(object: T): Partial<T> {
  return Object.fromEntries(Object.entries(object).filter(([, v]) => v !== undefined)) as Partial<T>;
}
