/**
 * The relay, assembled: sources → stations → hub → HTTP/WebSocket. `createRelay` is the library API;
 * the CLI is a thin shell around it.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CloseCode } from '@now-playing/protocol';
import { ElementBundles } from './bundles.js';
import { redactCredentials, resolveConfig, trustedProxies, type RelayConfig, type RelayOptions, type UpstreamSpec } from './config.js';
import { createHttpHandler } from './http-api.js';
import { createHttpServer } from './http-server.js';
import { Hub, type HubOptions } from './hub.js';
import { Metrics, meterSource } from './metrics.js';
import { scaleOutOverRedis, type ScaleOut } from './scale/scale-out.js';
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
  /** Fan-out slicing (hub.ts); tests use tiny slices to exercise ordering across them. */
  fanout?: Pick<HubOptions, 'sliceMs' | 'turn'>;
}

export class Relay {
  readonly config: RelayConfig;
  readonly hub: Hub;
  /** What `GET /metrics` serves (prom-client registry, one per relay). */
  readonly metrics: Metrics;
  readonly stations: Stations;
  readonly upstreams: readonly Upstream[];
  readonly #log: Logger;
  readonly #server: Server;
  readonly #ws: WebSocketEndpoint;
  readonly #bundles: ElementBundles | undefined;
  #started = false;
  /** Scale-out over Redis (`--redis`); undefined for a single relay. */
  #scale: ScaleOut | undefined;

  constructor(options: RelayOptions, dependencies: RelayDependencies = {}) {
    const config = (this.config = resolveConfig(options));
    const log = (this.#log = dependencies.logger ?? silentLogger());
    const metrics = (this.metrics = new Metrics());
    const hub = (this.hub = new Hub({ ...dependencies.fanout, observer: metrics }));
    this.stations = new Stations({
      historyLength: config.historyLength,
      heartbeat: config.heartbeat,
      // With --redis, a change reaches clients (here and on every instance) once it is committed.
      publish: (patch) => (this.#scale ? this.#scale.publish(patch) : hub.publish(patch.station, patch)),
      removed: (id, reason, station) => {
        hub.closeStation(id, CloseCode.UnknownStation, reason);
        this.#scale?.removed(station, reason);
      },
    });
    const createSource = dependencies.createSource ?? defaultSource(log);
    this.upstreams = config.upstreams.map(
      (spec) =>
        new Upstream(
          spec,
          meterSource(createSource(spec, config), metrics),
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
      metrics,
    });
    metrics.observe({ clientsByStation: () => this.stations.list().map((s) => [s.id, hub.count(s.id)]), stations: () => this.stations.size });
    this.#bundles = config.bundleDir ? new ElementBundles(config.bundleDir, log) : undefined;
    const handler = createHttpHandler({
      upstreams: () => this.health(),
      redis: () => this.#scale?.health(),
      stations: this.stations,
      hub: this.hub,
      metrics,
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
    if (this.config.redis !== undefined) await this.#startScaleOut(this.config.redis);
    else await Promise.race([Promise.all(this.upstreams.map((upstream) => upstream.start())), delay(this.config.requestTimeout + 100)]);
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
    await Promise.all([this.#ws.close(graceMs), ...this.upstreams.map((u) => u.stop()), this.#scale?.stop()]);
    this.#server.closeAllConnections();
    await serverClosed;
    this.#log.info('relay stopped');
  }

  /**
   * With `--redis`: connect, load the stored stations, claim the upstreams' leases; the instance that
   * wins one reads that upstream (the others get its changes). Bounded like the single-relay start.
   */
  async #startScaleOut(url: string): Promise<void> {
    const { config } = this;
    this.#scale = await scaleOutOverRedis(url, {
      stations: this.stations,
      hub: this.hub,
      upstreams: this.upstreams,
      log: this.#log,
      leaseTtl: config.redisLeaseTtl,
      requestTimeout: config.requestTimeout,
      maxStationsPerUpstream: config.maxStationsPerUpstream,
      onLease: (upstream, held) => this.metrics.setLeaseHeld(upstream, held),
    });
    this.#log.info({ redis: redactCredentials(url), instance: this.#scale.instance, leaseTtl: config.redisLeaseTtl }, 'scaling out over redis');
    await this.#scale.start();
  }

  /** Scale-out over Redis, when configured (after `start`): leases, instance id, backplane state. */
  get scaleOut(): ScaleOut | undefined {
    return this.#scale;
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
    return this.upstreams.map((u) => this.#scale?.upstreamHealth(u) ?? u.health());
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
