import type { UpstreamSpec } from '../config.js';
import { decodeText } from './charset.js';
import { httpGet } from './http-get.js';
import { parseIcecastStatus } from './icecast-json.js';
import { Poller } from './poller.js';
import { SourceError, type Source, type SourceListener } from './source.js';

export interface IcecastStatusOptions {
  /** The upstream: status URL, credentials, charset. */
  upstream: UpstreamSpec;
  pollInterval: number;
  /** Milliseconds for one whole request, redirects included. */
  requestTimeout: number;
  maxBackoff: number;
  maxBodyBytes: number;
  maxRedirects: number;
  crossHostRedirects: boolean;
  /** Called with what was repaired in an otherwise usable answer (for a debug log line). */
  onRepairs?: (repairs: string[]) => void;
}

/** Polls Icecast's `/status-json.xsl`: one request per interval (redirects count as part of it), never two in flight. */
export class IcecastStatusSource implements Source {
  readonly upstream: string;
  #poller: Poller | undefined;

  constructor(private readonly options: IcecastStatusOptions) {
    this.upstream = options.upstream.url;
  }

  start(listener: SourceListener): void {
    const { upstream, pollInterval, requestTimeout, maxBackoff, maxBodyBytes, maxRedirects, crossHostRedirects, onRepairs } = this.options;
    const url = new URL(upstream.url);
    this.#poller = new Poller({
      interval: pollInterval,
      maxBackoff,
      task: async (signal) => {
        try {
          const { body } = await httpGet(url, {
            timeout: requestTimeout,
            maxBytes: maxBodyBytes,
            maxRedirects,
            crossHostRedirects,
            signal,
            ...(upstream.credentials ? { credentials: upstream.credentials } : {}),
          });
          const { mounts, repairs } = parseIcecastStatus(decodeText(body, upstream.charset));
          if (repairs.length > 0) onRepairs?.(repairs);
          listener.reading(mounts);
          return true;
        } catch (error) {
          if (signal.aborted) return false; // stopping: nothing to report
          const reason = error instanceof SourceError ? error.reason : 'unexpected error';
          listener.failure(reason, error);
          return false;
        }
      },
    });
    this.#poller.start();
  }

  async stop(): Promise<void> {
    await this.#poller?.stop();
  }
}
