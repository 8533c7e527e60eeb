/**
 * The relay's metrics, served at `GET /metrics` in Prometheus text format (prom-client). One
 * `Metrics` per relay, with its own registry (several relays in one process, as in the tests, do
 * not mix their numbers). Hot paths call the small methods of `RelayMetrics` (the hub once per
 * fan-out, not once per client); counts that already exist elsewhere (clients per station,
 * stations) are read when scraped instead of being kept twice.
 *
 * Label values are bounded: stations (capped per upstream), upstream URLs (configured), close codes
 * (a fixed set), drop reasons and upstream failure reasons (short fixed texts; HTTP statuses).
 */
import type { ServerMessage } from '@now-playing/protocol';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Source } from './sources/source.js';

/** What the WebSocket side reports (the hub, the endpoint, the clients). */
export interface RelayMetrics {
  /** `messages` frames of `type` sent, `bytes` of payload in all. */
  sent(type: ServerMessage['type'], messages: number, bytes: number): void;
  /** A client was dropped (send queue over the limit, missed heartbeat). */
  dropped(reason: string): void;
  /** A connection was refused or closed for a limit, by close code (1013, 4403, 4429, 4404, 4400, 1008) or HTTP status (503). */
  refused(code: number): void;
}

/** What is read at scrape time. */
export interface MetricsSources {
  /** Subscribers per station id. */
  clientsByStation(): Iterable<[string, number]>;
  stations(): number;
}

/** Upstream request durations, in seconds: from a fast LAN answer to the 5 s default timeout. */
const REQUEST_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export class Metrics implements RelayMetrics {
  readonly registry = new Registry();
  #sources: MetricsSources | undefined;

  readonly clients: Gauge<'station'> = new Gauge({
    name: 'now_playing_clients',
    help: 'Connected WebSocket clients, by station.',
    labelNames: ['station'] as const,
    registers: [this.registry],
    collect: () => {
      this.clients.reset(); // stations that went away disappear from the output
      for (const [station, count] of this.#sources?.clientsByStation() ?? []) this.clients.set({ station }, count);
    },
  });
  readonly stations: Gauge = new Gauge({
    name: 'now_playing_stations',
    help: 'Stations the relay knows.',
    registers: [this.registry],
    collect: () => this.stations.set(this.#sources?.stations() ?? 0),
  });
  readonly messagesSent = new Counter({
    name: 'now_playing_messages_sent_total',
    help: 'WebSocket messages sent to clients, by message type (patch, snapshot, ping, pong, error).',
    labelNames: ['type'] as const,
    registers: [this.registry],
  });
  readonly bytesSent = new Counter({
    name: 'now_playing_bytes_sent_total',
    help: 'Payload bytes of the WebSocket messages sent to clients, by message type.',
    labelNames: ['type'] as const,
    registers: [this.registry],
  });
  readonly clientsDropped = new Counter({
    name: 'now_playing_clients_dropped_total',
    help: 'Clients dropped by the relay, by reason (send queue over the limit: a slow client; missed heartbeat).',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly refusals = new Counter({
    name: 'now_playing_refusals_total',
    help: 'Connections refused or closed for a limit, by close code: 1013 relay full, 4403 per-address limit, 4429 message rate, 4404 unknown station, 4400 station required, 1008 malformed messages; 503: too many refusals at once.',
    labelNames: ['code'] as const,
    registers: [this.registry],
  });
  readonly upstreamRequestSeconds = new Histogram({
    name: 'now_playing_upstream_request_duration_seconds',
    help: 'Duration of upstream requests (one poll, redirects included), by upstream and outcome (ok, error).',
    labelNames: ['upstream', 'outcome'] as const,
    buckets: REQUEST_BUCKETS,
    registers: [this.registry],
  });
  readonly upstreamErrors = new Counter({
    name: 'now_playing_upstream_errors_total',
    help: 'Failed upstream reads, by upstream and reason (timeout, HTTP 500, invalid JSON, ...).',
    labelNames: ['upstream', 'reason'] as const,
    registers: [this.registry],
  });
  /** Set by the scale-out (`--redis`): 1 for each upstream this instance holds the lease of (it polls it), else 0. */
  readonly leaseHeld = new Gauge({
    name: 'now_playing_lease_held',
    help: 'With --redis: 1 while this instance holds the upstream\'s lease (it reads the upstream for every instance), 0 while another instance does.',
    labelNames: ['upstream'] as const,
    registers: [this.registry],
  });

  constructor(sources?: MetricsSources) {
    // Process metrics (CPU, memory, event loop lag, GC) under their usual names.
    collectDefaultMetrics({ register: this.registry });
    this.#sources = sources;
  }

  /** Where the counts that live elsewhere are read at each scrape. */
  observe(sources: MetricsSources): void {
    this.#sources = sources;
  }

  sent(type: ServerMessage['type'], messages: number, bytes: number): void {
    this.messagesSent.inc({ type }, messages);
    this.bytesSent.inc({ type }, bytes);
  }

  dropped(reason: string): void {
    this.clientsDropped.inc({ reason });
  }

  refused(code: number): void {
    this.refusals.inc({ code: String(code) });
  }

  /** One upstream request done: its duration and, if it failed, why. */
  upstreamRequest(upstream: string, seconds: number, failure?: string): void {
    this.upstreamRequestSeconds.observe({ upstream, outcome: failure === undefined ? 'ok' : 'error' }, seconds);
  }

  /** An upstream read failed (whatever the source kind). */
  upstreamFailed(upstream: string, reason: string): void {
    this.upstreamErrors.inc({ upstream, reason });
  }

  /** With --redis: whether this instance holds `upstream`'s lease. */
  setLeaseHeld(upstream: string, held: boolean): void {
    this.leaseHeld.set({ upstream }, held ? 1 : 0);
  }

  /** The text exposition (what `GET /metrics` answers) and its content type. */
  async exposition(): Promise<{ body: string; contentType: string }> {
    return { body: await this.registry.metrics(), contentType: this.registry.contentType };
  }
}

/**
 * `source`, with its failures counted (whatever its kind) and its request durations observed (for
 * the sources that make requests: the polled status documents); everything else passes through.
 */
export function meterSource(source: Source, metrics: Metrics): Source {
  return {
    upstream: source.upstream,
    start: (listener) =>
      source.start({
        reading: (mounts) => listener.reading(mounts),
        failure: (reason, detail) => {
          metrics.upstreamFailed(source.upstream, reason);
          listener.failure(reason, detail);
        },
        requested: (seconds, failure) => {
          metrics.upstreamRequest(source.upstream, seconds, failure);
          listener.requested?.(seconds, failure);
        },
      }),
    stop: () => source.stop(),
  };
}
