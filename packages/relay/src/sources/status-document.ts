/**
 * Status documents, polled: Icecast's status-json, Shoutcast v2's JSON and v1's `7.html` are all one
 * bounded GET (http-get.ts: deadline, size cap, redirects, address policy, credentials), decoded by
 * charset.ts and parsed by the document's own parser. One poller, one set of limits and one failure
 * path for all of them; the detecting source (detect.ts) uses the same reads as its probes.
 */
import { decodeText } from './charset.js';
import { httpGet } from './http-get.js';
import { parseIcecastStatus } from './icecast-json.js';
import { Poller } from './poller.js';
import { parseShoutcast7Html, parseShoutcastStatistics, parseShoutcastStreamStats } from './shoutcast-status.js';
import { SourceError, type MountReading, type Source, type SourceListener, type SourceOptions } from './source.js';

/** The server kinds a status document can reveal. */
export type ServerKind = 'icecast' | 'shoutcast-v2' | 'shoutcast-v1';

export interface StatusDocument {
  readonly kind: ServerKind;
  readonly url: URL;
  /** Request headers the server needs (Shoutcast v1: a browser's User-Agent). */
  readonly headers?: Record<string, string>;
  /** Mount readings from the decoded body, or a SourceError saying why it is unusable. */
  parse(text: string): { mounts: MountReading[]; repairs?: string[] };
}

// Shoutcast v1 answers /7.html with the audio stream itself unless the client looks like a browser.
const BROWSER_USER_AGENT = 'Mozilla/5.0 (compatible; now-playing-relay; +https://github.com/now-playing)';

/** Icecast's `/status-json.xsl` (or any status URL given in full). */
export function icecastStatus(url: URL): StatusDocument {
  return { kind: 'icecast', url, parse: parseIcecastStatus };
}

/** Shoutcast v2's list of every stream, relative to the server's base URL. */
export function shoutcastStatistics(base: URL): StatusDocument {
  return { kind: 'shoutcast-v2', url: new URL('statistics?json=1', base), parse: (text) => ({ mounts: parseShoutcastStatistics(text) }) };
}

/** Shoutcast v2's summary of stream 1 (older 2.x builds have no `/statistics`). */
export function shoutcastStreamStats(base: URL, sid = 1): StatusDocument {
  return {
    kind: 'shoutcast-v2',
    url: new URL(`stats?sid=${sid}&json=1`, base),
    parse: (text) => ({ mounts: parseShoutcastStreamStats(text, sid) }),
  };
}

/** Shoutcast v1's `/7.html`. */
export function shoutcast7Html(base: URL): StatusDocument {
  return {
    kind: 'shoutcast-v1',
    url: new URL('7.html', base),
    headers: { 'user-agent': BROWSER_USER_AGENT, accept: 'text/html' },
    parse: (text) => ({ mounts: parseShoutcast7Html(text) }),
  };
}

/** One read of `document`: its mounts, or a SourceError with a short reason. */
export async function readStatusDocument(
  document: StatusDocument,
  options: SourceOptions,
  signal?: AbortSignal,
): Promise<{ mounts: MountReading[]; repairs: string[] }> {
  const { upstream, requestTimeout, maxBodyBytes, maxRedirects, crossHostRedirects } = options;
  const { body } = await httpGet(document.url, {
    timeout: requestTimeout,
    maxBytes: maxBodyBytes,
    maxRedirects,
    crossHostRedirects,
    ...(signal ? { signal } : {}),
    ...(document.headers ? { headers: document.headers } : {}),
    ...(upstream.credentials ? { credentials: upstream.credentials } : {}),
  });
  const { mounts, repairs = [] } = document.parse(decodeText(body, upstream.charset));
  return { mounts, repairs };
}

// Failures that say the server is unreachable, not that this document is missing: no point asking
// it for another one.
const UNREACHABLE = new Set(['connection refused', 'host not found', 'timeout', 'TLS error', 'stopped']);

/**
 * Polls a status document: one request per interval (redirects count as part of it), never two in
 * flight. Given several candidates (a server of unknown kind), each poll tries them in order until one
 * answers with a usable document; that one is kept from then on (`onDetected` says which) and its
 * answer is already the first reading. While none is usable, the failure reported is that of the first
 * candidate the server has (see #detect), and the next attempt follows the backoff.
 */
export class StatusDocumentSource implements Source {
  readonly upstream: string;
  readonly #candidates: readonly StatusDocument[];
  #document: StatusDocument | undefined;
  #poller: Poller | undefined;

  constructor(
    documents: StatusDocument | readonly StatusDocument[],
    private readonly options: SourceOptions,
    private readonly onDetected?: (document: StatusDocument) => void,
  ) {
    this.upstream = options.upstream.url;
    this.#candidates = Array.isArray(documents) ? documents : [documents as StatusDocument];
    if (this.#candidates.length === 0) throw new RangeError('no status document to read');
    if (this.#candidates.length === 1) this.#document = this.#candidates[0];
  }

  /** The document being polled: the only candidate, or the one detected (undefined until then). */
  get document(): StatusDocument | undefined {
    return this.#document;
  }

  start(listener: SourceListener): void {
    const { pollInterval, maxBackoff, onRepairs } = this.options;
    this.#poller = new Poller({
      interval: pollInterval,
      maxBackoff,
      task: async (signal) => {
        const started = performance.now();
        const seconds = () => (performance.now() - started) / 1000;
        try {
          const { mounts, repairs } = this.#document
            ? await readStatusDocument(this.#document, this.options, signal)
            : await this.#detect(signal);
          if (repairs.length > 0) onRepairs?.(repairs);
          listener.requested?.(seconds());
          listener.reading(mounts);
          return true;
        } catch (error) {
          if (signal.aborted) return false; // stopping: nothing to report
          const reason = error instanceof SourceError ? error.reason : 'unexpected error';
          listener.requested?.(seconds(), reason);
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

  /**
   * Try each candidate in order; keep the first usable one. Otherwise throw the failure of the first
   * candidate the server has (a 404 only says it is not that kind of server), or `no status page
   * found` when it has none.
   */
  async #detect(signal: AbortSignal): Promise<{ mounts: MountReading[]; repairs: string[] }> {
    let failure: unknown;
    for (const candidate of this.#candidates) {
      try {
        const result = await readStatusDocument(candidate, this.options, signal);
        this.#document = candidate;
        this.onDetected?.(candidate);
        return result;
      } catch (error) {
        const missing = error instanceof SourceError && error.reason === 'HTTP 404';
        if (!missing) failure ??= error;
        if (signal.aborted || (error instanceof SourceError && UNREACHABLE.has(error.reason))) break;
      }
    }
    throw failure ?? new SourceError('no status page found');
  }
}
