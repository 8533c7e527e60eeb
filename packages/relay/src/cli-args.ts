/**
 * Command line and environment → relay options. Flags win over environment variables. Parsing uses
 * Node's own `util.parseArgs` (strict: an unknown flag is an error that names it), so the CLI needs
 * no dependency; every value is then checked by config.ts under the flag's own name.
 */
import { parseArgs } from 'node:util';
import { ConfigError, DEFAULTS, LOG_FORMATS, LOG_LEVELS, NUMBER_LIMITS, parseInteger, resolveConfig, type RelayConfig, type RelayOptions } from './config.js';

interface Flag {
  key: keyof RelayConfig;
  env: string;
  /** Shown after the flag in --help; empty for a switch (a flag without a value). */
  arg: string;
  help: string;
}

const SWITCH_VALUES: Record<string, boolean> = { '1': true, true: true, yes: true, '0': false, false: false, no: false };

/** Every flag, its environment variable and its help line, in the order `--help` lists them. */
export const FLAGS: Record<string, Flag> = {
  upstream: { key: 'upstreams', env: 'NOW_PLAYING_UPSTREAM', arg: '<url>', help: 'server base URL (kind detected), status-json URL, or icecast+/shoutcast+/icy+http(s)://…; repeat for several (env: comma-separated)' },
  port: { key: 'port', env: 'NOW_PLAYING_PORT', arg: '<n>', help: `port for HTTP and WebSocket (default ${DEFAULTS.port})` },
  host: { key: 'host', env: 'NOW_PLAYING_HOST', arg: '<addr>', help: `address to listen on (default ${DEFAULTS.host}, every address)` },
  'poll-interval': { key: 'pollInterval', env: 'NOW_PLAYING_POLL_INTERVAL', arg: '<ms>', help: `milliseconds between requests to each upstream (default ${DEFAULTS.pollInterval})` },
  timeout: { key: 'requestTimeout', env: 'NOW_PLAYING_TIMEOUT', arg: '<ms>', help: `upstream request timeout (default ${DEFAULTS.requestTimeout})` },
  'max-backoff': { key: 'maxBackoff', env: 'NOW_PLAYING_MAX_BACKOFF', arg: '<ms>', help: `longest wait between requests to a failing upstream (default ${DEFAULTS.maxBackoff})` },
  heartbeat: { key: 'heartbeat', env: 'NOW_PLAYING_HEARTBEAT', arg: '<ms>', help: `heartbeat interval to clients (default ${DEFAULTS.heartbeat})` },
  history: { key: 'historyLength', env: 'NOW_PLAYING_HISTORY', arg: '<n>', help: `previous tracks kept per station (default ${DEFAULTS.historyLength})` },
  'max-connections': { key: 'maxConnections', env: 'NOW_PLAYING_MAX_CONNECTIONS', arg: '<n>', help: `WebSocket connections at most; more are refused with 1013 (default: open-file limit - 256, here ${DEFAULTS.maxConnections})` },
  'max-connections-per-ip': { key: 'maxConnectionsPerIp', env: 'NOW_PLAYING_MAX_CONNECTIONS_PER_IP', arg: '<n>', help: 'connections per client address at most, refused with 4403 (default 0: off; behind a proxy use --trust-proxy)' },
  'trust-proxy': { key: 'trustProxy', env: 'NOW_PLAYING_TRUST_PROXY', arg: '<addrs>', help: 'comma-separated proxy addresses/CIDRs whose X-Forwarded-For gives the client address (default none)' },
  'client-message-rate': { key: 'clientMessageRate', env: 'NOW_PLAYING_CLIENT_MESSAGE_RATE', arg: '<n>', help: `client messages per second per connection, over it: close 4429 (default ${DEFAULTS.clientMessageRate})` },
  'client-message-burst': { key: 'clientMessageBurst', env: 'NOW_PLAYING_CLIENT_MESSAGE_BURST', arg: '<n>', help: `client messages allowed in a burst (default ${DEFAULTS.clientMessageBurst})` },
  'max-stations-per-upstream': { key: 'maxStationsPerUpstream', env: 'NOW_PLAYING_MAX_STATIONS_PER_UPSTREAM', arg: '<n>', help: `stations one upstream may create (default ${DEFAULTS.maxStationsPerUpstream})` },
  'evict-offline-after': { key: 'evictOfflineAfter', env: 'NOW_PLAYING_EVICT_OFFLINE_AFTER', arg: '<ms>', help: `remove a station off air this long (default ${DEFAULTS.evictOfflineAfter}, one hour)` },
  'max-redirects': { key: 'maxRedirects', env: 'NOW_PLAYING_MAX_REDIRECTS', arg: '<n>', help: `redirects followed per upstream request (default ${DEFAULTS.maxRedirects})` },
  'allow-cross-host-redirects': { key: 'crossHostRedirects', env: 'NOW_PLAYING_ALLOW_CROSS_HOST_REDIRECTS', arg: '', help: 'follow upstream redirects to other hosts (never to private addresses; default off)' },
  redis: { key: 'redis', env: 'NOW_PLAYING_REDIS', arg: '<url>', help: 'scale out: redis://host:6379 shared by several relays; one reads each upstream, all serve clients (default: off, one process)' },
  'redis-lease-ttl': { key: 'redisLeaseTtl', env: 'NOW_PLAYING_REDIS_LEASE_TTL', arg: '<ms>', help: `how long a relay's claim on an upstream lasts; a dead one is replaced within about this (default ${DEFAULTS.redisLeaseTtl})` },
  'log-level': { key: 'logLevel', env: 'NOW_PLAYING_LOG_LEVEL', arg: '<level>', help: `${LOG_LEVELS.join('|')} (default ${DEFAULTS.logLevel})` },
  'log-format': { key: 'logFormat', env: 'NOW_PLAYING_LOG_FORMAT', arg: '<format>', help: `${LOG_FORMATS.join('|')} (default ${DEFAULTS.logFormat}: pretty on a terminal, else one JSON object per line)` },
  bundle: { key: 'bundleDir', env: 'NOW_PLAYING_BUNDLE', arg: '<dir>', help: 'folder with the element bundles served at /now-playing.js and /now-playing@<version>.js (default: @now-playing/element\'s)' },
};

export const USAGE = `Usage: now-playing-relay --upstream <url> [options]

Reads each upstream once for everyone and pushes changes to browsers over WebSocket
(ws://host:port/ws?station=<id>). Every mount becomes a station, named after the mount (/live → live).
Upstreams: http://host:8000 (detected: Icecast status-json, then Shoutcast v2, then v1),
icecast+http://host:8000, shoutcast+http://host:8000 (each stream is a station: sid/1, sid/2, …),
icy+http://host:8000/live (the stream's own metadata, pushed the moment it changes; one listener).
An upstream URL may carry user:password@ (sent as HTTP Basic auth, never shown) and ?charset=latin1|utf-8.
SIGTERM/SIGINT: close clients (1001) and exit 0. SIGHUP: ignored (logs go to stdout; nothing to reopen).

Options:
${Object.entries(FLAGS)
  .map(([name, f]) => `  --${`${name} ${f.arg}`.trimEnd().padEnd(34)} ${f.help}`)
  .join('\n')}
  --help                               show this help
  --version                            show the version

Each option can also be set with its environment variable (flags win):
${Object.entries(FLAGS)
  .map(([name, f]) => `  ${f.env.padEnd(40)} --${name}`)
  .join('\n')}

Examples:
  now-playing-relay --upstream http://icecast.example:8000 --port 8080
  now-playing-relay --upstream icy+https://stream.example/live
`;

/** `run` carries the options as given (for createRelay) and the config they resolve to (validated under flag names). */
export type CliRequest = { kind: 'help' } | { kind: 'version' } | { kind: 'run'; options: RelayOptions; config: RelayConfig };

/** Parse argv (without node and the script) and the environment; throws ConfigError naming the flag. */
export function parseCli(argv: string[], env: Record<string, string | undefined> = {}): CliRequest {
  let parsed: ReturnType<typeof parseArgs<{ options: typeof parseOptions; strict: true; allowPositionals: false }>>;
  try {
    parsed = parseArgs({ args: argv, options: parseOptions, strict: true, allowPositionals: false });
  } catch (error) {
    // parseArgs' messages already name the flag ("Unknown option '--prot'").
    throw new ConfigError('arguments', (error as Error).message);
  }
  const values = parsed.values as Record<string, string | string[] | boolean | undefined>;
  if (values.help) return { kind: 'help' };
  if (values.version) return { kind: 'version' };

  const options: Record<string, unknown> = {};
  const names: Partial<Record<keyof RelayConfig, string>> = {};
  for (const [name, flag] of Object.entries(FLAGS)) {
    const fromFlag = values[name];
    const fromEnv = env[flag.env];
    const label = fromFlag !== undefined ? `--${name}` : flag.env;
    names[flag.key] = fromFlag !== undefined || fromEnv === undefined ? `--${name}` : flag.env;
    if (name === 'upstream') {
      const list = (fromFlag as string[] | undefined) ?? fromEnv?.split(/[\s,]+/).filter(Boolean);
      if (list) options.upstreams = list;
      continue;
    }
    if (flag.arg === '') {
      if (fromFlag !== undefined) options[flag.key] = fromFlag;
      else if (fromEnv !== undefined && fromEnv !== '') {
        const value = SWITCH_VALUES[fromEnv.trim().toLowerCase()];
        if (value === undefined) throw new ConfigError(label, `expected 1/0, true/false or yes/no, got ${JSON.stringify(fromEnv)}`);
        options[flag.key] = value;
      }
      continue;
    }
    const text = (fromFlag as string | undefined) ?? (fromEnv === '' ? undefined : fromEnv);
    if (text === undefined) continue;
    const limits = NUMBER_LIMITS[flag.key];
    if (flag.key === 'trustProxy') options.trustProxy = text.split(/[\s,]+/).filter(Boolean);
    else options[flag.key] = limits ? parseInteger(text, label, limits) : text;
  }
  const relayOptions = options as RelayOptions;
  return { kind: 'run', options: relayOptions, config: resolveConfig(relayOptions, names) };
}

const parseOptions = {
  ...Object.fromEntries(
    Object.entries(FLAGS).map(([name, flag]) => [
      name,
      name === 'upstream' ? { type: 'string', multiple: true } : { type: flag.arg === '' ? 'boolean' : 'string' },
    ]),
  ),
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
} as Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string }>;
