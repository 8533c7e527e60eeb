/**
 * The WebSocket endpoint: admits a connection (connection limits), picks the station from
 * `?station=`, sends the snapshot at once, subscribes the client to the hub, answers the small
 * client messages (rate-limited), and runs both heartbeats:
 * - an application `ping` message, which browsers can see (they cannot see protocol pings), so the
 *   element's watchdog can tell a silent link from a quiet station;
 * - a WebSocket protocol ping; a client that has not answered the previous one is terminated, so
 *   half-open TCP connections do not pile up.
 * Refusals are close frames with a reason: browsers cannot read an HTTP refusal's reason.
 */
import type { IncomingMessage } from 'node:http';
import type { BlockList } from 'node:net';
import type { Duplex } from 'node:stream';
import { CloseCode, MAX_CLIENT_MESSAGE_BYTES, WS_PATH, parseClientMessage, type ServerMessage } from '@now-playing/protocol';
import { WebSocketServer, type WebSocket } from 'ws';
import { Client, CLOSE_GRACE_MS } from './client.js';
import { clientAddress } from './client-address.js';
import { ConnectionLimits } from './connection-limits.js';
import type { Hub } from './hub.js';
import type { Logger } from './logger.js';
import { closeWith } from './http-server.js';
import { MAX_TARGET_LENGTH, parseRequestTarget } from './request-target.js';
import type { Stations } from './stations.js';

/** A client that sends this many malformed messages is closed with 1008. */
const MAX_BAD_MESSAGES = 10;

/**
 * Connections being refused at once (accepted only to send a close frame) at most; past it, an
 * upgrade is answered with a plain HTTP 503, which costs nothing to hold.
 */
const MAX_REFUSING = 256;

export interface WebSocketEndpointOptions {
  stations: Stations;
  hub: Hub;
  heartbeat: number;
  log: Logger;
  maxConnections: number;
  maxConnectionsPerIp: number;
  /** Proxies whose `X-Forwarded-For` is believed (none: the socket's peer is the client). */
  trustedProxies?: BlockList;
  maxBufferedBytes: number;
  clientMessageRate: number;
  clientMessageBurst: number;
}

export class WebSocketEndpoint {
  readonly #wss: WebSocketServer;
  readonly #clients = new Set<Client>();
  readonly #limits: ConnectionLimits;
  #refusing = 0;
  #heartbeat: ReturnType<typeof setInterval> | undefined;

  constructor(private readonly options: WebSocketEndpointOptions) {
    // Compression stays off: with browsers always offering it, ws would deflate every frame, at about
    // 220 KiB of memory per connection and several times the CPU per broadcast (docs/toolchain.md).
    this.#wss = new WebSocketServer({ noServer: true, maxPayload: MAX_CLIENT_MESSAGE_BYTES, perMessageDeflate: false });
    this.#limits = new ConnectionLimits({ maxConnections: options.maxConnections, maxPerAddress: options.maxConnectionsPerIp });
  }

  /** Open connections. */
  get size(): number {
    return this.#clients.size;
  }

  start(): void {
    this.#heartbeat = setInterval(() => this.#beat(), this.options.heartbeat);
  }

  /** Hand an HTTP upgrade request to the endpoint (other paths get a 404, bad targets a 400). */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    if ((req.url?.length ?? 0) > MAX_TARGET_LENGTH) return closeWith(socket, 414);
    const target = parseRequestTarget(req.url);
    if (!target) return closeWith(socket, 400);
    if (target.pathname !== WS_PATH && target.pathname !== `${WS_PATH}/`) return closeWith(socket, 404);
    if (this.#refusing >= MAX_REFUSING) return closeWith(socket, 503);
    const address = clientAddress(req, this.options.trustedProxies);
    this.#wss.handleUpgrade(req, socket, head, (ws) => this.#accept(ws, address, target.searchParams.get('station')));
  }

  /** Close every client with 1001 ("going away": reconnect, possibly elsewhere); terminate stragglers. */
  async close(graceMs: number): Promise<void> {
    clearInterval(this.#heartbeat);
    const closed = [...this.#clients].map(
      (client) =>
        new Promise<void>((resolve) => {
          client.ws.once('close', () => resolve());
          client.ws.close(CloseCode.GoingAway, 'relay shutting down');
        }),
    );
    const grace = new Promise<void>((resolve) => setTimeout(resolve, graceMs).unref());
    await Promise.race([Promise.all(closed), grace]);
    for (const client of this.#clients) client.ws.terminate();
    await new Promise<void>((resolve) => this.#wss.close(() => resolve()));
  }

  #accept(ws: WebSocket, address: string, requested: string | null): void {
    const { stations, hub, log } = this.options;
    ws.on('error', (error) => log.debug({ address, err: error }, 'client error'));
    const refusal = this.#limits.admit(address);
    if (refusal) {
      log.debug({ address, reason: refusal.reason }, 'connection refused');
      return this.#refuse(ws, refusal.code, refusal.reason);
    }
    let stationId = requested;
    if (stationId === null || stationId === '') {
      const all = stations.list();
      if (all.length !== 1) {
        const known = all.map((s) => s.id).join(', ') || 'none yet';
        this.#limits.release(address);
        return this.#refuse(ws, CloseCode.StationRequired, truncateReason(`?station= is required; stations: ${known}`));
      }
      stationId = all[0]!.id;
    }
    const station = stations.get(stationId);
    if (!station) {
      this.#limits.release(address);
      return this.#refuse(ws, CloseCode.UnknownStation, truncateReason(`unknown station ${JSON.stringify(stationId)}`));
    }

    const { maxBufferedBytes, clientMessageRate: messageRate, clientMessageBurst: messageBurst } = this.options;
    const client = new Client(ws, address, station.id, { maxBufferedBytes, messageRate, messageBurst, log });
    this.#clients.add(client);
    const unsubscribe = hub.subscribe(station.id, client);
    client.send(station.snapshotText());
    log.debug({ station: station.id, address, clients: this.#clients.size }, 'client connected');

    ws.on('pong', () => (client.alive = true));
    ws.on('message', (data, isBinary) => this.#onMessage(client, isBinary ? undefined : data.toString()));
    ws.on('close', () => {
      unsubscribe();
      this.#clients.delete(client);
      this.#limits.release(address);
    });
  }

  /** One client message: rate-limited first, then validated, then answered. */
  #onMessage(client: Client, text: string | undefined): void {
    if (client.closing) return;
    client.alive = true;
    if (!client.takeMessage()) {
      this.options.log.debug({ station: client.stationId, address: client.address }, 'client over the message rate limit');
      return client.close(CloseCode.TooManyMessages, 'too many messages');
    }
    const parsed = parseClientMessage(text);
    if (!parsed.ok) {
      reply(client, { type: 'error', code: 'bad-message', message: parsed.error });
      if (++client.badMessages >= MAX_BAD_MESSAGES) client.close(CloseCode.PolicyViolation, 'too many malformed messages');
      return;
    }
    const message = parsed.message;
    if (message.type === 'resync') {
      const station = this.options.stations.get(client.stationId);
      if (station) client.send(station.snapshotText());
    } else reply(client, message.id === undefined ? { type: 'pong' } : { type: 'pong', id: message.id });
  }

  /** Accepted only to be told why not: close with a reason, and never wait long for the answer. */
  #refuse(ws: WebSocket, code: number, reason: string): void {
    this.#refusing++;
    const timer = setTimeout(() => ws.terminate(), CLOSE_GRACE_MS);
    timer.unref();
    ws.once('close', () => {
      clearTimeout(timer);
      this.#refusing--;
    });
    ws.close(code, reason);
  }

  #beat(): void {
    for (const client of this.#clients) {
      if (!client.alive) {
        client.drop('missed a heartbeat');
        continue;
      }
      client.alive = false;
      if (!client.closing) client.ws.ping();
    }
    this.options.hub.broadcast({ type: 'ping', t: Date.now() });
  }
}

function reply(client: Client, message: ServerMessage): void {
  client.send(JSON.stringify(message));
}

/** Close reasons are limited to 123 bytes. */
function truncateReason(reason: string): string {
  const bytes = Buffer.from(reason);
  return bytes.length <= 123 ? reason : `${bytes.subarray(0, 120).toString().replace(/\uFFFD$/, '')}...`;
}
