/**
 * The WebSocket endpoint: picks the station from `?station=`, sends the snapshot at once, subscribes
 * the client to the hub, answers the small client messages, and runs both heartbeats:
 * - an application `ping` message, which browsers can see (they cannot see protocol pings), so the
 *   element's watchdog can tell a silent link from a quiet station;
 * - a WebSocket protocol ping; a client that has not answered the previous one is terminated, so
 *   half-open TCP connections do not pile up.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { CloseCode, MAX_CLIENT_MESSAGE_BYTES, WS_PATH, parseClientMessage, type ServerMessage } from '@now-playing/protocol';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Hub } from './hub.js';
import type { Logger } from './logger.js';
import type { Stations } from './stations.js';

/** A client that sends this many malformed messages is closed with 1008. */
const MAX_BAD_MESSAGES = 10;

export interface WebSocketEndpointOptions {
  stations: Stations;
  hub: Hub;
  heartbeat: number;
  log: Logger;
}

interface ClientState {
  alive: boolean;
  badMessages: number;
}

export class WebSocketEndpoint {
  readonly #wss: WebSocketServer;
  readonly #clients = new Map<WebSocket, ClientState>();
  #heartbeat: ReturnType<typeof setInterval> | undefined;

  constructor(private readonly options: WebSocketEndpointOptions) {
    // Compression stays off: with browsers always offering it, ws would deflate every frame, at about
    // 220 KiB of memory per connection and several times the CPU per broadcast (shared/toolchain.md).
    this.#wss = new WebSocketServer({ noServer: true, maxPayload: MAX_CLIENT_MESSAGE_BYTES, perMessageDeflate: false });
  }

  /** Open connections. */
  get size(): number {
    return this.#clients.size;
  }

  start(): void {
    this.#heartbeat = setInterval(() => this.#beat(), this.options.heartbeat);
  }

  /** Hand an HTTP upgrade request to the endpoint (other paths get a 404 and are closed). */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://relay');
    if (url.pathname !== WS_PATH && url.pathname !== `${WS_PATH}/`) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    this.#wss.handleUpgrade(req, socket, head, (ws) => this.#accept(ws, url.searchParams.get('station')));
  }

  /** Close every client with 1001 ("going away": reconnect, possibly elsewhere); terminate stragglers. */
  async close(graceMs: number): Promise<void> {
    clearInterval(this.#heartbeat);
    const closed = [...this.#clients.keys()].map(
      (ws) =>
        new Promise<void>((resolve) => {
          ws.once('close', () => resolve());
          ws.close(CloseCode.GoingAway, 'relay shutting down');
        }),
    );
    const grace = new Promise<void>((resolve) => setTimeout(resolve, graceMs).unref());
    await Promise.race([Promise.all(closed), grace]);
    for (const ws of this.#clients.keys()) ws.terminate();
    await new Promise<void>((resolve) => this.#wss.close(() => resolve()));
  }

  #accept(ws: WebSocket, requested: string | null): void {
    const { stations, hub, log } = this.options;
    // Browsers cannot read an HTTP refusal's reason, so refusals are close frames with a reason.
    let stationId = requested;
    if (stationId === null || stationId === '') {
      const all = stations.list();
      if (all.length !== 1) {
        const known = all.map((s) => s.id).join(', ') || 'none yet';
        ws.close(CloseCode.StationRequired, truncateReason(`?station= is required; stations: ${known}`));
        return;
      }
      stationId = all[0]!.id;
    }
    const station = stations.get(stationId);
    if (!station) {
      ws.close(CloseCode.UnknownStation, truncateReason(`unknown station ${JSON.stringify(stationId)}`));
      return;
    }
    const state: ClientState = { alive: true, badMessages: 0 };
    this.#clients.set(ws, state);
    ws.send(station.snapshotText());
    const unsubscribe = hub.subscribe(station.id, {
      send: (text) => ws.send(text),
      get bufferedAmount() {
        return ws.bufferedAmount;
      },
      drop: (reason) => {
        log.debug({ station: station.id, reason }, 'client dropped');
        ws.terminate();
      },
    });
    log.debug({ station: station.id, clients: this.#clients.size }, 'client connected');

    ws.on('pong', () => (state.alive = true));
    ws.on('message', (data, isBinary) => {
      state.alive = true;
      const parsed = parseClientMessage(isBinary ? undefined : data.toString());
      if (!parsed.ok) {
        this.#reply(ws, { type: 'error', code: 'bad-message', message: parsed.error });
        if (++state.badMessages >= MAX_BAD_MESSAGES) ws.close(CloseCode.PolicyViolation, 'too many malformed messages');
        return;
      }
      const message = parsed.message;
      if (message.type === 'resync') ws.send(station.snapshotText());
      else this.#reply(ws, message.id === undefined ? { type: 'pong' } : { type: 'pong', id: message.id });
    });
    // ws emits 'error' for protocol violations (oversized frame → 1009) before closing; log, never throw.
    ws.on('error', (error) => log.debug({ station: station.id, err: error }, 'client error'));
    ws.on('close', () => {
      unsubscribe();
      this.#clients.delete(ws);
    });
  }

  #reply(ws: WebSocket, message: ServerMessage): void {
    ws.send(JSON.stringify(message));
  }

  #beat(): void {
    for (const [ws, state] of this.#clients) {
      if (!state.alive) {
        this.options.log.debug('client missed a heartbeat: terminated');
        ws.terminate();
        continue;
      }
      state.alive = false;
      ws.ping();
    }
    this.options.hub.broadcast({ type: 'ping', t: Date.now() });
  }
}

/** Close reasons are limited to 123 bytes. */
function truncateReason(reason: string): string {
  const bytes = Buffer.from(reason);
  return bytes.length <= 123 ? reason : `${bytes.subarray(0, 120).toString().replace(/\uFFFD$/, '')}...`;
}
