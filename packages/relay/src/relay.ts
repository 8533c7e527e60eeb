/**
 * The relay, assembled: sources → stations → hub → HTTP/WebSocket. `createRelay` is the library API;
 * the CLI is a thin shell around it.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolveConfig, type RelayConfig, type RelayOptions } from './config.js';
import { createHttpHandler } from './http-api.js';
import { Hub } from './hub.js';
import { silentLogger, type Logger } from './logger.js';
import { IcecastStatusSource } from './sources/icecast-status.js';
import type { Source } from './sources/source.js';
import { Stations } from './stations.js';
import { WebSocketEndpoint } from './websocket.js';

export interface RelayDependencies {
  logger?: Logger;
  /** Replace the default sources (one IcecastStatusSource per upstream), in upstream order. */
  sources?: Source[];
}

export class Relay {
  readonly config: RelayConfig;
  readonly hub: Hub;
  readonly stations: Stations;
  readonly #log: Logger;
  readonly #sources: Source[];
  readonly #server: Server;
  readonly #ws: WebSocketEndpoint;
  #started = false;

  constructor(options: RelayOptions, dependencies: RelayDependencies = {}) {
    const config = (this.config = resolveConfig(options));
    const log = (this.#log = dependencies.logger ?? silentLogger());
    this.hub = new Hub({
      maxBufferedBytes: config.maxBufferedBytes,
      onDrop: (station, reason) => log.debug({ station, reason }, 'client dropped'),
    });
    this.stations = new Stations(
      config.upstreams,
      { historyLength: config.historyLength, heartbeat: config.heartbeat },
      (patch) => this.hub.publish(patch.station, patch),
      log,
    );
    this.#sources =
      dependencies.sources ??
      config.upstreams.map(
        (url) =>
          new IcecastStatusSource({
            url,
            pollInterval: config.pollInterval,
            requestTimeout: config.requestTimeout,
            maxBackoff: config.maxBackoff,
            maxBodyBytes: config.maxBodyBytes,
            onRepairs: (repairs) => log.debug({ upstream: url, repairs }, 'repaired upstream JSON'),
          }),
      );
    this.#ws = new WebSocketEndpoint({ stations: this.stations, hub: this.hub, heartbeat: config.heartbeat, log });
    const handler = createHttpHandler({
      stations: this.stations,
      hub: this.hub,
      startedAt: new Date(),
      ...(config.bundleDir ? { bundleDir: config.bundleDir } : {}),
    });
    this.#server = createServer(handler);
    this.#server.on('upgrade', (req, socket, head) => this.#ws.handleUpgrade(req, socket, head));
    this.#server.on('clientError', (_error, socket) => socket.destroy());
  }

  /**
   * Start polling, wait for every upstream's first answer (or failure, bounded by the request
   * timeout) so the first clients find their stations, then listen.
   */
  async start(): Promise<void> {
    if (this.#started) throw new Error('relay already started');
    this.#started = true;
    const first = this.#sources.map(
      (source, index) =>
        new Promise<void>((resolve) => {
          source.start({
            reading: (mounts) => {
              this.stations.reading(index, mounts);
              resolve();
            },
            failure: (reason, detail) => {
              this.stations.failure(index, reason, detail);
              resolve();
            },
          });
        }),
    );
    await Promise.race([Promise.all(first), delay(this.config.requestTimeout + 100)]);
    this.#ws.start();
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(this.config.port, this.config.host, () => {
        this.#server.off('error', reject);
        resolve();
      });
    });
    this.#log.info({ url: this.url, upstreams: this.config.upstreams, stations: this.stations.list().map((s) => s.id) }, 'relay listening');
  }

  /** Stop accepting, close clients with 1001, stop polling. Resolves within about `graceMs`. */
  async stop(graceMs = 2000): Promise<void> {
    if (!this.#started) return;
    this.#started = false;
    const serverClosed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    await Promise.all([this.#ws.close(graceMs), ...this.#sources.map((s) => s.stop())]);
    this.#server.closeAllConnections();
    await serverClosed;
    this.#log.info('relay stopped');
  }

  /** The bound address (after `start`). */
  get address(): AddressInfo {
    const address = this.#server.address();
    if (!address || typeof address === 'string') throw new Error('relay is not listening');
    return address;
  }

  /** `http://host:port` of the relay, with a loopback host when it listens on every address. */
  get url(): string {
    const { address, port, family } = this.address;
    const host = address === '::' || address === '0.0.0.0' ? 'localhost' : family === 'IPv6' ? `[${address}]` : address;
    return `http://${host}:${port}`;
  }

  /** Open WebSocket connections. */
  get connections(): number {
    return this.#ws.size;
  }
}

export function createRelay(options: RelayOptions, dependencies?: RelayDependencies): Relay {
  return new Relay(options, dependencies);
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
