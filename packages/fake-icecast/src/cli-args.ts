/** Command-line parsing for `fake-icecast`, apart from cli.ts so it can be tested without starting anything. */
import { parseArgs } from 'node:util';
import { SERVER_KINDS, type ServerKind } from './server.js';

export interface CliOptions {
  help: boolean;
  port: number;
  host: string;
  /** Normalised mount names (`/live`), in the order given. */
  mounts: string[];
  /** Initial title of the first mount. */
  title?: string;
  /** The server to play (default icecast). */
  server: ServerKind;
  /** `icy-metaint` of the streams (default: the server's). */
  metaint?: number;
  /** Stream answers start with `ICY 200 OK`. */
  icyStatusLine: boolean;
}

/** A bad command line; the message names the flag and is meant for the user. */
export class UsageError extends Error {}

export const USAGE = `Usage: fake-icecast [options]

A controllable Icecast 2.4.4 look-alike: GET /status-json.xsl, /admin/metadata, an audio stream per
mount (GET /<mount>, with ICY metadata on Icy-MetaData: 1), and a JSON control API under /control/.
It can play a SHOUTcast server instead: v2 (/statistics?json=1, /stats?sid=N&json=1, /7.html; one
stream id per mount) or v1 (/7.html, audio to non-browsers; the first mount's stream at /).

Options:
  --port <n>         port to listen on, 0 for any free port (default 8000)
  --host <addr>      address to listen on (default 127.0.0.1)
  --mount <path>     a mount on air, repeatable (default /live)
  --title <text>     initial title of the first mount
  --server <kind>    icecast, shoutcast-v2 or shoutcast-v1 (default icecast)
  --metaint <n>      icy-metaint of the streams (default 16000; SHOUTcast 8192)
  --icy-status-line  stream answers start with "ICY 200 OK" (SHOUTcast v1 always)
  --help             show this help

Control API (JSON bodies): GET /control/state, PUT|DELETE /control/mounts/<mount>,
PUT|DELETE /control/fault, POST /control/reset-stats.

Faults for PUT /control/fault (DELETE heals), on the status page (/status-json.xsl; SHOUTcast's pages):
  {"kind":"http-error","status":500}          error page (status 400-599, optional)
  {"kind":"hang"}                             never answers
  {"kind":"slow","delayMs":2000}              answers late
  {"kind":"invalid-json"}                     truncated body
  {"kind":"huge","bytes":N,"chunked":false}   N-byte body (chunked optional)
  {"kind":"reset"}                            TCP reset
  {"kind":"redirect-self","status":302}       redirects to itself (301/302/303/307/308, optional)
  {"kind":"redirect","location":URL,"status":302}  redirects to an absolute http(s) URL
  {"kind":"churn-mounts","perRequest":1000}   new mount names on every answer (1-100000, optional)
  {"kind":"huge-title","chars":N}             every title N characters long (N <= 50000000)
  {"kind":"latin1"}                           body in ISO-8859-1, still labelled UTF-8
  {"kind":"binary"}                           4 KiB of non-text bytes
  {"kind":"endless-audio"}                    200 audio/mpeg without end
and on the audio streams:
  {"kind":"stall"}                            streams stop sending, sockets stay open
  {"kind":"stream-garbage"}                   random bytes instead of audio and metadata
  {"kind":"metadata-overflow"}                every metadata block 4,080 bytes (length byte 255)
`;

export function parseCliArgs(argv: readonly string[]): CliOptions {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        mount: { type: 'string', multiple: true },
        title: { type: 'string' },
        server: { type: 'string' },
        metaint: { type: 'string' },
        'icy-status-line': { type: 'boolean' },
        help: { type: 'boolean' },
      },
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }

  const port = values.port ?? '8000';
  if (!/^\d{1,5}$/.test(port) || Number(port) > 65535) {
    throw new UsageError(`--port must be an integer from 0 to 65535, got ${JSON.stringify(port)}`);
  }
  const host = values.host ?? '127.0.0.1';
  if (host === '') throw new UsageError('--host must not be empty');
  const mounts: string[] = [];
  for (const mount of values.mount ?? ['/live']) {
    const name = mount.startsWith('/') ? mount : `/${mount}`;
    if (name === '/') throw new UsageError(`--mount must be a mount path like /live, got ${JSON.stringify(mount)}`);
    if (mounts.includes(name)) throw new UsageError(`--mount ${name} is given twice`);
    mounts.push(name);
  }
  const server = (values.server ?? 'icecast') as ServerKind;
  if (!SERVER_KINDS.includes(server)) throw new UsageError(`--server must be one of ${SERVER_KINDS.join(', ')}, got ${JSON.stringify(values.server)}`);
  const options: CliOptions = { help: values.help ?? false, port: Number(port), host, mounts, server, icyStatusLine: values['icy-status-line'] ?? false };
  if (values.metaint !== undefined) {
    if (!/^\d{1,7}$/.test(values.metaint) || Number(values.metaint) < 1 || Number(values.metaint) > 1_048_576) {
      throw new UsageError(`--metaint must be an integer from 1 to 1048576, got ${JSON.stringify(values.metaint)}`);
    }
    options.metaint = Number(values.metaint);
  }
  if (values.title !== undefined) options.title = values.title;
  return options;
}
