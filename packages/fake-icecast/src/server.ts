/**
 * The fake Icecast server: status-json, admin metadata, an ICY audio stream per mount and the control
 * API on one loopback port. It can also play a SHOUTcast v2 or v1 server (`server` option): then it
 * serves their status documents instead of Icecast's, and their stream heads.
 */
import { STATUS_CODES, createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { handleAdminMetadata } from './admin.js';
import { handleControl } from './control.js';
import {
  binaryBody,
  churnBody,
  hugeBody,
  hugeTitleBody,
  latin1Bytes,
  truncatedBody,
  type StreamedBody,
} from './fault-bodies.js';
import { DEFAULT_CHURN_PER_REQUEST, parseFault, type Fault } from './faults.js';
import { icecastHeaders, sendIcecast, sendIcecastError, sendIcecastRedirect } from './http.js';
import { IcyStream, type StreamSettings, type StreamStatusLine } from './icy-stream.js';
import { render7Html, renderStatistics, renderStreamStats, type ShoutcastStream } from './shoutcast.js';
import { defaultMountState, normaliseMountName, parseMountPatch, type MountState } from './mount-state.js';
import { renderStatusJson, SERVER_ID, type MountSnapshot, type ServerInfo } from './status-json.js';

export const STATUS_PATH = '/status-json.xsl';
const JSON_TYPE = 'application/json; charset=UTF-8';
// Stands in for each title in a huge-title template. Control characters are written raw by the
// stylesheet rendering, and no configured text is expected to contain them.
const TITLE_MARKER = '\u0001huge-title\u0001';

/** The server the fake plays. */
export const SERVER_KINDS = ['icecast', 'shoutcast-v2', 'shoutcast-v1'] as const;
export type ServerKind = (typeof SERVER_KINDS)[number];

export interface FakeIcecastOptions {
  /** Default `127.0.0.1`. */
  host?: string;
  /** Default 0: a free port. */
  port?: number;
  /** Mounts on air from the start (default none). */
  mounts?: Record<string, MountState>;
  /**
   * Which server to play (default `icecast`). `shoutcast-v2`: `/statistics?json=1`, `/stats?sid=N&json=1`
   * and `/7.html`, one stream per mount (stream ids in the order mounts first appear). `shoutcast-v1`:
   * `/7.html` (the audio stream itself unless the User-Agent says `Mozilla`) and the first mount's
   * stream at `/`. Both answer `/status-json.xsl` with 404.
   */
  server?: ServerKind;
  /** `icy-metaint` of the streams (default 16,000 for Icecast, 8,192 for SHOUTcast). */
  metaint?: number;
  /** Stream audio bytes per second (default 16,000, about 128 kbps). */
  streamBytesPerSecond?: number;
  /** Answer stream requests with `ICY 200 OK` (SHOUTcast v1 always does). */
  icyStatusLine?: boolean;
}

export interface FakeIcecast {
  /** Base URL, e.g. `http://127.0.0.1:43567`. */
  readonly url: string;
  /** `url + '/status-json.xsl'`. */
  readonly statusUrl: string;
  /** The server being played. */
  readonly server: ServerKind;
  /** Audio streams open right now. */
  readonly streams: number;
  /** The stream URL of a mount (`live` → `http://127.0.0.1:port/live`). */
  streamUrl(mount: string): string;
  /** End every open stream, as a server restarting its listeners would. */
  dropStreams(): void;
  /** Called with (mount, title) whenever a stream writes a block with a new title; returns an unsubscribe. */
  onStreamTitle(listener: (mount: string, title: string) => void): () => void;
  readonly port: number;
  /** Number of status requests received (`/status-json.xsl`, or SHOUTcast's; faulty answers and redirects included). */
  readonly statusRequests: number;
  /** Highest number of status requests in flight at the same time (proves "never two in flight"). */
  readonly maxConcurrentStatusRequests: number;
  /** The fault in force, or `null` when healthy. */
  readonly fault: Fault | null;
  /** Zeroes `statusRequests` and `maxConcurrentStatusRequests`. */
  resetStats(): void;
  /** Creates the mount or merges `patch` into it; `live` means `/live`. Throws a TypeError on a bad patch. */
  setMount(mount: string, patch: MountState): void;
  setTitle(mount: string, title: string | null): void;
  removeMount(mount: string): void;
  clearMounts(): void;
  /** Every mount's current state (defaults filled in), by mount name. */
  mounts(): Record<string, MountState>;
  /** `null` = healthy again. Changing away from `hang` drops the hung connections. */
  setFault(fault: Fault | null): void;
  /** The exact body a healthy GET /status-json.xsl returns now. */
  statusBody(): string;
  /** Closes the server and every open connection (hung ones included). */
  close(): Promise<void>;
}

interface Mount {
  state: MountState;
  listenerPeak: number;
  streamStart: Date;
}

export async function startFakeIcecast(options: FakeIcecastOptions = {}): Promise<FakeIcecast> {
  const fake = new FakeIcecastServer(options.host ?? '127.0.0.1', options.mounts ?? {}, options);
  await fake.listen(options.port ?? 0);
  return fake;
}

class FakeIcecastServer implements FakeIcecast {
  url = '';
  port = 0;
  statusRequests = 0;
  maxConcurrentStatusRequests = 0;
  fault: Fault | null = null;

  readonly #server: Server;
  readonly #host: string;
  // Whole seconds, as Icecast reports them.
  readonly #started = wholeSecondsNow();
  readonly #mounts = new Map<string, Mount>();
  readonly #sockets = new Set<Socket>();
  readonly #hung = new Set<ServerResponse>();
  readonly #streams = new Set<IcyStream>();
  readonly #titleListeners = new Set<(mount: string, title: string) => void>();
  readonly #streamSettings: StreamSettings;
  // SHOUTcast stream ids, by mount name, given in the order mounts first appear and kept after they go
  // (a SHOUTcast stream stays configured, off air, when its source leaves).
  readonly #sids = new Map<string, number>();
  readonly #offAirSince = new Map<string, Date>();
  readonly server: ServerKind;
  #inFlight = 0;
  // The next id a churn-mounts answer gives out; only grows, so no name is ever listed twice.
  #nextChurnId = 1;
  #closing: Promise<void> | undefined;

  constructor(host: string, mounts: Record<string, MountState>, options: FakeIcecastOptions) {
    this.#host = host;
    this.server = options.server ?? 'icecast';
    this.#streamSettings = streamSettings(this.server, options);
    // Mounts given at start-up went on air with the server.
    for (const [mount, patch] of Object.entries(mounts)) this.#putMount(mount, patch, this.#started);
    this.#server = createServer((req, res) => this.#handle(req, res));
    this.#server.on('connection', (socket) => {
      this.#sockets.add(socket);
      socket.once('close', () => this.#sockets.delete(socket));
    });
  }

  get statusUrl(): string {
    return `${this.url}${STATUS_PATH}`;
  }

  get streams(): number {
    return this.#streams.size;
  }

  streamUrl(mount: string): string {
    return `${this.url}${encodeURI(normaliseMountName(mount))}`;
  }

  dropStreams(): void {
    for (const stream of this.#streams) stream.end();
  }

  onStreamTitle(listener: (mount: string, title: string) => void): () => void {
    this.#titleListeners.add(listener);
    return () => this.#titleListeners.delete(listener);
  }

  async listen(port: number): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(port, this.#host, () => {
        this.#server.off('error', reject);
        resolve();
      });
    });
    this.port = (this.#server.address() as AddressInfo).port;
    const host = this.#host.includes(':') ? `[${this.#host}]` : this.#host;
    this.url = `http://${host}:${this.port}`;
  }

  resetStats(): void {
    this.statusRequests = 0;
    this.maxConcurrentStatusRequests = 0;
  }

  setMount(mount: string, patch: MountState): void {
    this.#putMount(mount, patch, wholeSecondsNow());
  }

  setTitle(mount: string, title: string | null): void {
    this.setMount(mount, { title });
  }

  removeMount(mount: string): void {
    const name = normaliseMountName(mount);
    if (this.#mounts.delete(name)) this.#offAirSince.set(name, new Date());
  }

  clearMounts(): void {
    for (const name of this.#mounts.keys()) this.#offAirSince.set(name, new Date());
    this.#mounts.clear();
  }

  mounts(): Record<string, MountState> {
    const result: Record<string, MountState> = {};
    for (const name of [...this.#mounts.keys()].sort()) result[name] = { ...this.#mounts.get(name)!.state };
    return result;
  }

  setFault(fault: Fault | null): void {
    this.fault = fault === null ? null : parseFault(fault);
    if (this.fault?.kind !== 'hang') this.#dropHung();
  }

  statusBody(): string {
    if (this.server === 'shoutcast-v2') return renderStatistics(this.#shoutcastStreams());
    if (this.server === 'shoutcast-v1') return render7Html(this.#shoutcastStreams()[0]).toString('latin1');
    return this.#render();
  }

  close(): Promise<void> {
    this.#closing ??= new Promise<void>((resolve) => {
      this.#server.close(() => resolve());
      // Closing a socket also cancels what was pending on it: slow timers, huge streams, hung requests.
      for (const socket of this.#sockets) socket.destroy();
    });
    return this.#closing;
  }

  /** Every configured SHOUTcast stream, by stream id. */
  #shoutcastStreams(): ShoutcastStream[] {
    return [...this.#sids].map(([mount, sid]) => {
      const live = this.#mounts.get(mount);
      return live
        ? { sid, mount, state: live.state, listenerPeak: live.listenerPeak, streamStart: live.streamStart }
        : { sid, mount, state: undefined, listenerPeak: 0, streamStart: this.#offAirSince.get(mount) ?? this.#started };
    });
  }

  #putMount(mount: string, patch: MountState, onAirSince: Date): void {
    const name = normaliseMountName(mount);
    const clean = parseMountPatch(patch);
    const existing = this.#mounts.get(name);
    const state = { ...(existing?.state ?? defaultMountState(name)), ...clean };
    if (state.title === null) delete state.title;
    if (!this.#sids.has(name)) this.#sids.set(name, this.#sids.size + 1);
    this.#offAirSince.delete(name);
    this.#mounts.set(name, {
      state,
      streamStart: existing?.streamStart ?? onAirSince,
      listenerPeak: Math.max(existing?.listenerPeak ?? 0, state.listeners ?? 0),
    });
  }

  /** The status body; with `title`, every mount carries that title instead of its own. */
  #render(title?: string): string {
    const mounts: Record<string, MountSnapshot> = {};
    for (const [name, { state, listenerPeak, streamStart }] of this.#mounts) {
      mounts[name] = { ...state, listenerPeak, streamStart, ...(title === undefined ? {} : { title }) };
    }
    return renderStatusJson(mounts, this.#serverInfo());
  }

  #serverInfo(): ServerInfo {
    return { host: this.#host, baseUrl: this.url, serverStart: this.#started };
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://fake-icecast');
    } catch {
      return sendIcecastError(res, 400, 'Bad Request');
    }
    if (url.pathname === '/control' || url.pathname.startsWith('/control/')) {
      // Only a broken connection can make the control handler throw; there is nobody left to answer.
      handleControl(req, res, url.pathname, this).catch(() => res.destroy());
      return;
    }
    if (this.server !== 'icecast') return this.#handleShoutcast(req, res, url);
    if (url.pathname === STATUS_PATH) return this.#handleStatus(req, res, url, () => this.statusBody(), JSON_TYPE);
    if (url.pathname === '/admin/metadata') {
      return handleAdminMetadata(req, res, url, {
        hasMount: (mount) => this.#mounts.has(mount),
        setTitle: (mount, title) => this.setTitle(mount, title),
      });
    }
    if (this.#mounts.has(url.pathname)) return this.#handleStream(req, res, url.pathname);
    sendIcecastError(res, 404, 'The file you requested could not be found');
  }

  /** SHOUTcast's paths: its status documents and its streams; everything else is a 404. */
  #handleShoutcast(req: IncomingMessage, res: ServerResponse, url: URL): void {
    const streams = this.#shoutcastStreams();
    const v1 = this.server === 'shoutcast-v1';
    const browser = /mozilla/i.test(req.headers['user-agent'] ?? '');
    if (url.pathname === '/7.html') {
      // v1 answers a client that does not look like a browser with the stream itself.
      if (v1 && !browser && streams[0]?.state) return this.#handleStream(req, res, streams[0].mount);
      const sid = Number(url.searchParams.get('sid') ?? '1');
      return this.#handleStatus(req, res, url, () => render7Html(streams.find((s) => s.sid === sid)), 'text/html');
    }
    if (!v1 && url.pathname === '/statistics' && url.searchParams.get('json') === '1') {
      return this.#handleStatus(req, res, url, () => renderStatistics(streams), 'application/json;charset=utf-8');
    }
    if (!v1 && url.pathname === '/stats' && url.searchParams.get('json') === '1') {
      const stream = streams.find((s) => String(s.sid) === (url.searchParams.get('sid') ?? '1'));
      if (stream) return this.#handleStatus(req, res, url, () => renderStreamStats(stream), 'application/json;charset=utf-8');
    }
    // v1 serves its one stream at / (and /;stream.mp3, as players ask for it); v2 at each stream's path.
    const mount = v1 ? (url.pathname === '/' || url.pathname.startsWith('/;') ? streams[0]?.mount : undefined) : url.pathname;
    if (mount !== undefined && this.#mounts.has(mount)) return this.#handleStream(req, res, mount);
    sendIcecast(res, 404, 'text/html', 'Invalid resource');
  }

  /** An audio stream of `mount`, with ICY metadata when asked for (`Icy-MetaData: 1`). */
  #handleStream(req: IncomingMessage, res: ServerResponse, mount: string): void {
    if (req.method !== 'GET') return sendIcecastError(res, 400, 'Bad Request');
    const metadata = req.headers['icy-metadata'] === '1';
    const stream = new IcyStream(res.socket!, this.#streamSettings, {
      state: () => this.#mounts.get(mount)?.state,
      fault: () => this.fault,
      titleSent: (title) => {
        for (const listener of this.#titleListeners) listener(mount, title);
      },
    }, metadata);
    this.#streams.add(stream);
    res.socket!.once('close', () => this.#streams.delete(stream));
  }

  #handleStatus(req: IncomingMessage, res: ServerResponse, url: URL, healthy: () => string | Buffer, contentType: string): void {
    // Icecast answers HEAD (and anything but GET) on a stylesheet with 400.
    if (req.method !== 'GET') return sendIcecastError(res, 400, 'Bad Request');
    this.statusRequests += 1;
    this.#inFlight += 1;
    this.maxConcurrentStatusRequests = Math.max(this.maxConcurrentStatusRequests, this.#inFlight);
    res.once('close', () => {
      this.#inFlight -= 1;
    });

    const fault = this.fault;
    switch (fault?.kind) {
      case undefined:
      case 'stall':
      case 'stream-garbage':
      case 'metadata-overflow':
        return sendIcecast(res, 200, contentType, healthy());
      case 'http-error': {
        const status = fault.status ?? 500;
        return sendIcecastError(res, status, STATUS_CODES[status] ?? 'Error');
      }
      case 'hang':
        this.#hung.add(res);
        res.once('close', () => this.#hung.delete(res));
        return;
      case 'slow': {
        const timer = setTimeout(() => sendIcecast(res, 200, contentType, healthy()), fault.delayMs);
        res.once('close', () => clearTimeout(timer));
        return;
      }
      case 'invalid-json':
        return sendIcecast(res, 200, contentType, truncatedBody(textOf(healthy())));
      case 'huge': {
        const prefix = `{"icestats":{"admin":"admin@localhost","host":${JSON.stringify(this.#host)},"source":{"title":"`;
        res.writeHead(200, icecastHeaders(JSON_TYPE, fault.chunked ? undefined : fault.bytes));
        // The client giving up mid-stream is expected; pipeline then destroys the response.
        pipeline(Readable.from(hugeBody(prefix, fault.bytes)), res).catch(() => {});
        return;
      }
      case 'reset':
        req.socket.resetAndDestroy();
        return;
      case 'redirect-self':
        return sendIcecastRedirect(res, fault.status ?? 302, `${this.url}${url.pathname}${url.search}`);
      case 'redirect':
        return sendIcecastRedirect(res, fault.status ?? 302, fault.location);
      case 'churn-mounts': {
        const count = fault.perRequest ?? DEFAULT_CHURN_PER_REQUEST;
        const firstId = this.#nextChurnId;
        this.#nextChurnId += count;
        return sendStreamed(res, JSON_TYPE, churnBody(this.#serverInfo(), firstId, count, wholeSecondsNow()));
      }
      case 'huge-title':
        return sendStreamed(res, JSON_TYPE, hugeTitleBody(this.#render(TITLE_MARKER), TITLE_MARKER, fault.chars));
      case 'latin1':
        // Still labelled UTF-8, as Icecast labels it whatever the bytes are.
        return sendIcecast(res, 200, contentType, latin1Bytes(textOf(healthy())));
      case 'binary':
        return sendIcecast(res, 200, 'application/octet-stream', binaryBody());
      case 'endless-audio': {
        res.writeHead(200, icecastHeaders('audio/mpeg'));
        // The client giving up is the only end; pipeline then destroys the response.
        pipeline(Readable.from(endlessAudio()), res).catch(() => {});
        return;
      }
    }
  }

  #dropHung(): void {
    for (const res of this.#hung) res.socket?.destroy();
    this.#hung.clear();
  }
}

/** A body as text; bytes (a Latin-1 7.html) one character per byte. */
function textOf(body: string | Buffer): string {
  return typeof body === 'string' ? body : body.toString('latin1');
}

/** Audio bytes without end, 64 KiB at a time, as fast as the client reads. */
function* endlessAudio(): Generator<Buffer> {
  const chunk = Buffer.alloc(64 * 1024, 0xff);
  for (;;) yield chunk;
}

/** The stream settings of the server kind, with the options' overrides. */
function streamSettings(server: ServerKind, options: FakeIcecastOptions): StreamSettings {
  const shoutcast = server !== 'icecast';
  const metaint = options.metaint ?? (shoutcast ? 8192 : 16_000);
  const statusLine: StreamStatusLine = options.icyStatusLine || server === 'shoutcast-v1' ? 'ICY 200 OK' : 'HTTP/1.0 200 OK';
  const headers = (): string[] =>
    shoutcast
      ? [
          'icy-notice1:<BR>This stream requires <a href="http://www.winamp.com">Winamp</a><BR>',
          `icy-notice2:SHOUTcast DNAS/posix(linux x64) v${server === 'shoutcast-v1' ? '1.9.8' : '2.6.1.777'}<BR>`,
          'content-type:audio/mpeg',
        ]
      : [
          `Server: ${SERVER_ID}`,
          'Connection: Close',
          `Date: ${new Date().toUTCString()}`,
          'Content-Type: audio/mpeg',
          'Cache-Control: no-cache, no-store',
          'Expires: Mon, 26 Jul 1997 05:00:00 GMT',
          'Pragma: no-cache',
        ];
  return { metaint, bytesPerSecond: options.streamBytesPerSecond ?? 16_000, burstBytes: metaint, statusLine, headers, streamUrl: shoutcast };
}

function sendStreamed(res: ServerResponse, contentType: string, body: StreamedBody): void {
  res.writeHead(200, icecastHeaders(contentType, body.length));
  // The client giving up mid-stream is expected; pipeline then destroys the response.
  pipeline(Readable.from(body.chunks), res).catch(() => {});
}

function wholeSecondsNow(): Date {
  return new Date(Math.floor(Date.now() / 1000) * 1000);
}
