/**
 * The WebSocket endpoint: admits a connection (connection limits), picks the station from
 * `?station=`, sends the snapshot at once, subscribes the client to the hub, answers the small
 * client messages (rate-limited), and runs both heartbeats:
 * - an application `ping` message, which browsers can see (they cannot see protocol pings), so the
 *   element's watchdog can tell a silent link from a quiet station;
 * - a WebSocket protocol ping; a client that has not answered the previous one is terminated, so
 *   half-open TCP connections do not pile up.
 * Refusals are close frames with a reason: browsers cannot read an HTTP refusal's reason.
 *
 * Both heartbeats and every broadcast go through the hub's sliced fan-out (hub.ts), so none of them
 * holds the event loop for long at tens of thousands of clients.
 */
import type { IncomingMessage } from 'node:http';
import type { BlockList } from 'node:net';
import type { Duplex } from 'node:stream';
import { CloseCode, MAX_CLIENT_MESSAGE_BYTES, WS_PATH, parseClientMessage, type ServerMessage } from '@now-playing/protocol';
import { WebSocketServer, type Server } from 'ws';
import { Client, CLOSE_GRACE_MS, HEARTBEAT_PHASES, type ClientContext } from './client.js';
import { clientAddress } from './client-address.js';
import { ConnectionLimits } from './connection-limits.js';
import type { Hub } from './hub.js';
import type { Logger } from './logger.js';
import type { RelayMetrics } from './metrics.js';
import { closeWith } from './http-server.js';
import { MAX_TARGET_LENGTH, parseRequestTarget } from './request-target.js';
import type { Station } from './station.js';
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
  metrics?: RelayMetrics;
}

export class WebSocketEndpoint {
  readonly #wss: Server<typeof Client>;
  readonly #limits: ConnectionLimits;
  /** Shared by every client: limits, log, and the endpoint's handlers for their events. */
  readonly #context: ClientContext;
  /** Each station's snapshot as UTF-8, encoded once per snapshot text (not once per connecting client). */
  readonly #snapshotFrames = new WeakMap<Station, { text: string; frame: Buffer }>();
  #refusing = 0;
  #heartbeat: ReturnType<typeof setInterval> | undefined;
  #heartbeatStep = 0;

  constructor(private readonly options: WebSocketEndpointOptions) {
    this.#wss = new WebSocketServer<typeof Client>({
      noServer: true,
      maxPayload: MAX_CLIENT_MESSAGE_BYTES,
      // Compression stays off: with browsers always offering it, ws would deflate every frame, at about
      // 220 KiB of memory per connection and several times the CPU per broadcast (docs/toolchain.md).
      perMessageDeflate: false,
      // Each connection is a Client (a WebSocket subclass); the hub and the limits track them, so ws's
      // own client set (and its close handler per connection) would be a third copy.
      WebSocket: Client,
      clientTracking: false,
      // Protocol pings are answered by the client's own handler, within the message rate limit.
      autoPong: false,
    });
    this.#limits = new ConnectionLimits({ maxConnections: options.maxConnections, maxPerAddress: options.maxConnectionsPerIp });
    const { maxBufferedBytes, clientMessageRate: messageRate, clientMessageBurst: messageBurst, log, metrics } = options;
    this.#context = {
      maxBufferedBytes,
      messageRate,
      messageBurst,
      log,
      message: (client, text) => this.#onMessage(client, text),
      overRate: (client) => this.#overRate(client),
      closed: (client) => this.#onClose(client),
      // A socket error ends in 'close'; it is only logged.
      error: (client, error) => log.debug({ address: client.address, err: error }, 'client error'),
      ...(metrics ? { dropped: (_client: Client, reason: string) => metrics.dropped(reason) } : {}),
    };
  }

  /** Open connections. */
  get size(): number {
    return this.#limits.total;
  }

  start(): void {
    // Each client is pinged once per heartbeat, but not all at once: the period is cut into steps (one
    // per second at the default 15 s), and each step pings its share of the clients.
    this.#heartbeat = setInterval(() => this.#beat(), this.options.heartbeat / this.#heartbeatSteps);
  }

  /** Hand an HTTP upgrade request to the endpoint (other paths get a 404, bad targets a 400). */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    if ((req.url?.length ?? 0) > MAX_TARGET_LENGTH) return closeWith(socket, 414);
    const target = parseRequestTarget(req.url);
    if (!target) return closeWith(socket, 400);
    if (target.pathname !== WS_PATH && target.pathname !== `${WS_PATH}/`) return closeWith(socket, 404);
    if (this.#refusing >= MAX_REFUSING) {
      this.#refused(503);
      return closeWith(socket, 503);
    }
    // The address is looked up only when it is used: Node caches the peer address on the socket.
    const address = this.#limits.perAddress || this.options.log.isLevelEnabled('debug') ? clientAddress(req, this.options.trustedProxies) : '';
    this.#wss.handleUpgrade(req, socket, head, (ws) => this.#accept(ws, address, target.searchParams.get('station')));
  }

  /** Close every client with 1001 ("going away": reconnect, possibly elsewhere); terminate stragglers. */
  async close(graceMs: number): Promise<void> {
    clearInterval(this.#heartbeat);
    const clients = this.#clients();
    const closed = clients.map((client) => new Promise<void>((resolve) => client.once('close', () => resolve())));
    for (const client of clients) client.close(CloseCode.GoingAway, 'relay shutting down');
    const grace = new Promise<void>((resolve) => setTimeout(resolve, graceMs).unref());
    await Promise.race([Promise.all(closed), grace]);
    for (const client of this.#clients()) client.terminate();
    await new Promise<void>((resolve) => this.#wss.close(() => resolve()));
  }

  /** Every admitted client (the hub holds them, by station). */
  #clients(): Client[] {
    return this.options.hub.all().filter((subscriber): subscriber is Client => subscriber instanceof Client);
  }

  #accept(ws: Client, address: string, requested: string | null): void {
    const { stations, hub, log, metrics } = this.options;
    ws.arrive(this.#context, address);
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

    ws.admit(station.id);
    hub.subscribe(station.id, ws);
    this.#sendSnapshot(ws);
    log.debug({ station: station.id, address, clients: this.#limits.total }, 'client connected');
  }

  #onClose(client: Client): void {
    this.options.hub.unsubscribe(client.stationId, client);
    this.#limits.release(client.address);
  }

  /** The station's current snapshot; the hub then sends this client only patches after its seq. */
  #sendSnapshot(client: Client): void {
    const station = this.options.stations.get(client.stationId);
    if (!station) return;
    const text = station.snapshotText();
    let cached = this.#snapshotFrames.get(station);
    if (cached?.text !== text) this.#snapshotFrames.set(station, (cached = { text, frame: Buffer.from(text) }));
    client.seq = station.seq;
    client.deliver(cached.frame);
    this.options.metrics?.sent('snapshot', 1, cached.frame.length);
  }

  #overRate(client: Client): void {
    this.options.log.debug({ station: client.stationId, address: client.address }, 'client over the message rate limit');
    this.#refused(CloseCode.TooManyMessages);
    client.dismiss(CloseCode.TooManyMessages, 'too many messages');
  }

  /** One client message: rate-limited first, then validated, then answered. */
  #onMessage(client: Client, text: string | undefined): void {
    if (client.closing) return;
    client.alive = true;
    if (!client.takeMessage()) return this.#overRate(client);
    const parsed = parseClientMessage(text);
    if (!parsed.ok) {
      this.#reply(client, { type: 'error', code: 'bad-message', message: parsed.error });
      if (client.badMessage() >= MAX_BAD_MESSAGES) {
        this.#refused(CloseCode.PolicyViolation);
        client.dismiss(CloseCode.PolicyViolation, 'too many malformed messages');
      }
      return;
    }
    const message = parsed.message;
    if (message.type === 'resync') this.#sendSnapshot(client);
    else this.#reply(client, message.id === undefined ? { type: 'pong' } : { type: 'pong', id: message.id });
  }

  #reply(client: Client, message: ServerMessage): void {
    const text = JSON.stringify(message);
    client.deliver(text);
    this.options.metrics?.sent(message.type, 1, Buffer.byteLength(text));
  }

  #refused(code: number): void {
    this.options.metrics?.refused(code);
  }

  /** Accepted only to be told why not: close with a reason, and never wait long for the answer. */
  #refuse(ws: Client, code: number, reason: string): void {
    this.#refused(code);
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
    const steps = this.#heartbeatSteps;
    this.options.hub.heartbeat({ type: 'ping', t: Date.now() }, this.#heartbeatStep++ % steps, steps);
  }

  /** Heartbeat steps: a power of two, at most HEARTBEAT_PHASES, each step at least 100 ms apart. */
  get #heartbeatSteps(): number {
    let steps = 1;
    while (steps * 2 <= HEARTBEAT_PHASES && this.options.heartbeat / (steps * 2) >= 100) steps *= 2;
    return steps;
  }
}

/** Close reasons are limited to 123 bytes. */
function truncateReason(reason: string): string {
  const bytes = Buffer.from(reason);
  return bytes.length <= 123 ? reason : `${bytes.subarray(0, 120).toString().replace(/\uFFFD$/, '')}...`;
}
