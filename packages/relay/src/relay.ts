/**
 * The relay, assembled: sources → stations → hub → HTTP/WebSocket. `createRelay` is the library API;
 * the CLI is a thin shell around it.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CloseCode } from '@now-playing/protocol';
import { ElementBundles } from './bundles.js';
import { resolveConfig, trustedProxies, type RelayConfig, type RelayOptions, type UpstreamSpec } from './config.js';
import { createHttpHandler } from './http-api.js';
import { createHttpServer } from './http-server.js';
import { Hub } from './hub.js';
import { silentLogger, type Logger } from './logger.js';
import { createSource } from './sources/create-source.js';
import type { Source } from './sources/source.js';
import { Stations } from './stations.js';
import { Upstream, type UpstreamHealth } from './upstream.js';
import { WebSocketEndpoint } from './websocket.js';

export interface RelayDependencies {
  logger?: Logger;
  /** Replace the default source of an upstream (chosen by its kind: sources/create-source.ts). */
  createSource?: (upstream: UpstreamSpec, config: RelayConfig) => Source;
}

export class Relay {
  readonly config: RelayConfig;
  readonly hub: Hub;
  readonly stations: Stations;
  readonly upstreams: readonly Upstream[];
  readonly #log: Logger;
  readonly #server: Server;
  readonly #ws: WebSocketEndpoint;
  readonly #bundles: ElementBundles | undefined;
  #started = false;

  constructor(options: RelayOptions, dependencies: RelayDependencies = {}) {
    const config = (this.config = resolveConfig(options));
    const log = (this.#log = dependencies.logger ?? silentLogger());
    const hub = (this.hub = new Hub());
    this.stations = new Stations({
      historyLength: config.historyLength,
      heartbeat: config.heartbeat,
      publish: (patch) => hub.publish(patch.station, patch),
      removed: (id, reason) => hub.closeStation(id, CloseCode.UnknownStation, reason),
    });
    const createSource = dependencies.createSource ?? defaultSource(log);
    this.upstreams = config.upstreams.map(
      (spec) =>
        new Upstream(
          spec,
          createSource(spec, config),
          this.stations,
          { maxStations: config.maxStationsPerUpstream, evictOfflineAfter: config.evictOfflineAfter },
          log,
        ),
    );
    this.#ws = new WebSocketEndpoint({
      stations: this.stations,
      hub,
      heartbeat: config.heartbeat,
      log,
      maxConnections: config.maxConnections,
      maxConnectionsPerIp: config.maxConnectionsPerIp,
      ...(config.trustProxy.length > 0 ? { trustedProxies: trustedProxies(config.trustProxy) } : {}),
      maxBufferedBytes: config.maxBufferedBytes,
      clientMessageRate: config.clientMessageRate,
      clientMessageBurst: config.clientMessageBurst,
    });
    this.#bundles = config.bundleDir ? new ElementBundles(config.bundleDir, log) : undefined;
    const handler = createHttpHandler({
      upstreams: () => this.health(),
      stations: this.stations,
      hub: this.hub,
      startedAt: new Date(),
      ...(this.#bundles ? { bundles: this.#bundles } : {}),
      log,
    });
    this.#server = createHttpServer({ handler, onUpgrade: (req, socket, head) => this.#ws.handleUpgrade(req, socket, head), log });
  }

  /**
   * Start polling, wait for every upstream's first answer (or failure, bounded by the request
   * timeout) so the first clients find their stations, then listen.
   */
  async start(): Promise<void> {
    if (this.#started) throw new Error('relay already started');
    this.#started = true;
    const first = this.upstreams.map((upstream) => upstream.start());
    await Promise.race([Promise.all(first), delay(this.config.requestTimeout + 100)]);
    this.#ws.start();
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(this.config.port, this.config.host, () => {
        this.#server.off('error', reject);
        resolve();
      });
    });
    // After listening, a server error (accept failing with EMFILE under a connection flood) is
    // logged, never an unhandled 'error' event that would end the process.
    this.#server.on('error', (error) => this.#log.error({ err: error }, 'server error'));
    this.#log.info(
      {
        url: this.url,
        websocket: `${this.url.replace(/^http/, 'ws')}/ws`,
        upstreams: this.upstreams.map((u) => u.url),
        stations: this.stations.list().map((s) => s.id),
        maxConnections: this.config.maxConnections,
        bundles: this.#bundles?.paths() ?? [],
      },
      'relay listening',
    );
  }

  /** Stop accepting, close clients with 1001, stop polling. Resolves within about `graceMs`. */
  async stop(graceMs = 2000): Promise<void> {
    if (!this.#started) return;
    this.#started = false;
    const serverClosed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    await Promise.all([this.#ws.close(graceMs), ...this.upstreams.map((u) => u.stop())]);
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

  /** Each upstream's health (URLs without credentials), as `/healthz` shows it. */
  health(): UpstreamHealth[] {
    return this.upstreams.map((u) => u.health());
  }

  /** Open WebSocket connections. */
  get connections(): number {
    return this.#ws.size;
  }
}

export function createRelay(options: RelayOptions, dependencies?: RelayDependencies): Relay {
  return new Relay(options, dependencies);
}

/** The default source of an upstream, by its kind: Icecast status-json, Shoutcast, in-stream ICY, or detected. */
function defaultSource(log: Logger): NonNullable<RelayDependencies['createSource']> {
  return (upstream, config) => createSource(upstream, config, log);
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
