import type { UpstreamSpec } from '../config.js';

/**
 * The one seam every upstream kind plugs into. A source knows how to talk to one upstream (Icecast's
 * status-json, Shoutcast's v1 and v2 status pages, in-stream ICY metadata) and reports
 * what it read, mount by mount, in the raw vocabulary of a radio server. Normalising that into the
 * NowPlaying model is not its job (see normalise.ts), so every source gets the same repairs.
 */

/** One mount as an upstream described it. Text is as received (entities, odd spacing and all). */
export interface MountReading {
  /** The mount path, with its leading slash (`/live`). */
  mount: string;
  name?: string;
  description?: string;
  genre?: string;
  url?: string;
  /** The display title as sent, usually `Artist - Title`. */
  title?: string;
  /** Only some upstreams send the artist separately (Icecast with Ogg/Opus mounts). */
  artist?: string;
  listeners?: number;
  /** Kilobits per second. */
  bitrate?: number;
}

export interface SourceListener {
  /** A usable answer: every mount the upstream has right now (an empty list means no mounts). */
  reading(mounts: MountReading[]): void;
  /** The upstream failed or answered something unusable. `reason` is short and safe to show to clients. */
  failure(reason: string, detail?: unknown): void;
  /**
   * Optional, for metrics: one request to the upstream ended (a poll, redirects included), after
   * `seconds`; `failure` says why when it failed. Told just before `reading` or `failure`.
   */
  requested?(seconds: number, failure?: string): void;
}

export interface Source {
  /** The URL this source reads, for logs and /healthz. */
  readonly upstream: string;
  /** Begin reading; the first reading or failure is reported as soon as it is known. */
  start(listener: SourceListener): void;
  /** Stop reading and abort anything in flight; resolves when nothing more will be reported. */
  stop(): Promise<void>;
}

/** What every built-in source is given: its upstream and the relay's limits for talking to it. */
export interface SourceOptions {
  /** The upstream: URL, credentials, charset, kind. */
  upstream: UpstreamSpec;
  /** Milliseconds between two polls; for a stream, the first reconnect delay after a failure. */
  pollInterval: number;
  /** Milliseconds for one whole request, redirects included; for a stream, also the longest silence before it counts as stalled. */
  requestTimeout: number;
  maxBackoff: number;
  maxBodyBytes: number;
  maxRedirects: number;
  crossHostRedirects: boolean;
  /** Called with what was repaired in an otherwise usable answer (for a debug log line). */
  onRepairs?: (repairs: string[]) => void;
}

/** A failure with a reason meant for people (and for `staleReason` on the wire). */
export class SourceError extends Error {
  constructor(
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(reason, options);
    this.name = 'SourceError';
  }
}
