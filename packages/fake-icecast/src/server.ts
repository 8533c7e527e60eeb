/** The fake Icecast server: status-json, admin metadata and the control API on one loopback port. */
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
import { defaultMountState, normaliseMountName, parseMountPatch, type MountState } from './mount-state.js';
import { renderStatusJson, type MountSnapshot, type ServerInfo } from './status-json.js';

export const STATUS_PATH = '/status-json.xsl';
const JSON_TYPE = 'application/json; charset=UTF-8';
// Stands in for each title in a huge-title template. Control characters are written raw by the
// stylesheet rendering, and no configured text is expected to contain them.
const TITLE_MARKER = '\u0001huge-title\u0001';

export interface FakeIcecastOptions {
  /** Default `127.0.0.1`. */
  host?: string;
  /** Default 0: a free port. */
  port?: number;
  /** Mounts on air from the start (default none). */
  mounts?: Record<string, MountState>;
}

export interface FakeIcecast {
  /** Base URL, e.g. `http://127.0.0.1:43567`. */
  readonly url: string;
  /** `url + '/status-json.xsl'`. */
  readonly statusUrl: string;
  readonly port: number;
  /** Number of GET /status-json.xsl requests received (faulty answers and redirects included). */
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
  const fake = new FakeIcecastServer(options.host ?? '127.0.0.1', options.mounts ?? {});
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
  #inFlight = 0;
  // The next id a churn-mounts answer gives out; only grows, so no name is ever listed twice.
  #nextChurnId = 1;
  #closing: Promise<void> | undefined;

  constructor(host: string, mounts: Record<string, MountState>) {
    this.#host = host;
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
    this.#mounts.delete(normaliseMountName(mount));
  }

  clearMounts(): void {
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

  #putMount(mount: string, patch: MountState, onAirSince: Date): void {
    const name = normaliseMountName(mount);
    const clean = parseMountPatch(patch);
    const existing = this.#mounts.get(name);
    const state = { ...(existing?.state ?? defaultMountState(name)), ...clean };
    if (state.title === null) delete state.title;
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
    if (url.pathname === STATUS_PATH) return this.#handleStatus(req, res, url);
    if (url.pathname === '/admin/metadata') {
      return handleAdminMetadata(req, res, url, {
        hasMount: (mount) => this.#mounts.has(mount),
        setTitle: (mount, title) => this.setTitle(mount, title),
      });
    }
    if (url.pathname === '/control' || url.pathname.startsWith('/control/')) {
      // Only a broken connection can make the control handler throw; there is nobody left to answer.
      handleControl(req, res, url.pathname, this).catch(() => res.destroy());
      return;
    }
    sendIcecastError(res, 404, 'The file you requested could not be found');
  }

  #handleStatus(req: IncomingMessage, res: ServerResponse, url: URL): void {
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
        return sendIcecast(res, 200, JSON_TYPE, this.statusBody());
      case 'http-error': {
        const status = fault.status ?? 500;
        return sendIcecastError(res, status, STATUS_CODES[status] ?? 'Error');
      }
      case 'hang':
        this.#hung.add(res);
        res.once('close', () => this.#hung.delete(res));
        return;
      case 'slow': {
        const timer = setTimeout(() => sendIcecast(res, 200, JSON_TYPE, this.statusBody()), fault.delayMs);
        res.once('close', () => clearTimeout(timer));
        return;
      }
      case 'invalid-json':
        return sendIcecast(res, 200, JSON_TYPE, truncatedBody(this.statusBody()));
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
        return sendIcecast(res, 200, JSON_TYPE, latin1Bytes(this.statusBody()));
      case 'binary':
        return sendIcecast(res, 200, 'application/octet-stream', binaryBody());
    }
  }

  #dropHung(): void {
    for (const res of this.#hung) res.socket?.destroy();
    this.#hung.clear();
  }
}

function sendStreamed(res: ServerResponse, contentType: string, body: StreamedBody): void {
  res.writeHead(200, icecastHeaders(contentType, body.length));
  // The client giving up mid-stream is expected; pipeline then destroys the response.
  pipeline(Readable.from(body.chunks), res).catch(() => {});
}

function wholeSecondsNow(): Date {
  return new Date(Math.floor(Date.now() / 1000) * 1000);
}
