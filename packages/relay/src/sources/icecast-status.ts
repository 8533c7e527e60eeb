import { fetchText } from '../fetch-text.js';
import { Poller } from '../poller.js';
import { parseIcecastStatus } from './icecast-json.js';
import { SourceError, type Source, type SourceListener } from './source.js';

export interface IcecastStatusOptions {
  /** The full status URL (`http://host:8000/status-json.xsl`). */
  url: string;
  pollInterval: number;
  requestTimeout: number;
  maxBackoff: number;
  maxBodyBytes: number;
  /** Called with what was repaired in an otherwise usable answer (for a debug log line). */
  onRepairs?: (repairs: string[]) => void;
}

/** Polls Icecast's `/status-json.xsl`: one request per interval, never two in flight. */
export class IcecastStatusSource implements Source {
  readonly upstream: string;
  #poller: Poller | undefined;

  constructor(private readonly options: IcecastStatusOptions) {
    this.upstream = options.url;
  }

  start(listener: SourceListener): void {
    const { url, pollInterval, requestTimeout, maxBackoff, maxBodyBytes, onRepairs } = this.options;
    this.#poller = new Poller({
      interval: pollInterval,
      maxBackoff,
      task: async (signal) => {
        try {
          const body = await fetchText(url, { timeout: requestTimeout, maxBytes: maxBodyBytes, signal });
          const { mounts, repairs } = parseIcecastStatus(body);
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
