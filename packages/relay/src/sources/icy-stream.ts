/**
 * In-stream ICY metadata (`icy+http://host:8000/live`): the relay opens the stream once, as one
 * listener, with `Icy-MetaData: 1`, skips the audio and pushes a reading the moment a block carries a
 * new title. No poll interval: the title arrives when the server sends it (at its next metadata
 * block). The stream is reconnected when it ends, errs, or stalls (no byte for the request timeout):
 * at once after a stream that was healthy, then with the poller's backoff.
 */
import { decodeText, type Charset } from './charset.js';
import { describeNetworkError } from './http-get.js';
import { IcyDemuxer, MAX_ICY_METAINT, parseIcyBlock } from './icy-metadata.js';
import { Poller } from './poller.js';
import { SourceError, type MountReading, type Source, type SourceListener, type SourceOptions } from './source.js';
import { openStream, type StreamResponse } from './stream-request.js';

export class IcyStreamSource implements Source {
  readonly upstream: string;
  readonly #url: URL;
  #poller: Poller | undefined;
  /** The last title announced, kept across reconnects: a zero-length block means "unchanged". */
  #title: string | undefined;

  constructor(private readonly options: SourceOptions) {
    this.upstream = options.upstream.url;
    this.#url = new URL(options.upstream.url.replace(/^icy\+/i, ''));
  }

  start(listener: SourceListener): void {
    const { pollInterval, maxBackoff } = this.options;
    this.#poller = new Poller({ interval: pollInterval, maxBackoff, task: (signal) => this.#listen(signal, listener) });
    this.#poller.start();
  }

  async stop(): Promise<void> {
    await this.#poller?.stop();
  }

  /** One connection, for as long as it lasts. `true` when it delivered metadata (the next one may follow at once). */
  async #listen(signal: AbortSignal, listener: SourceListener): Promise<boolean> {
    const { upstream, requestTimeout, maxRedirects, crossHostRedirects } = this.options;
    let healthy = false;
    try {
      const response = await openStream(this.#url, {
        timeout: requestTimeout,
        maxRedirects,
        crossHostRedirects,
        signal,
        headers: { 'icy-metadata': '1' },
        ...(upstream.credentials ? { credentials: upstream.credentials } : {}),
      });
      await this.#read(response, signal, (reading) => {
        healthy = true;
        listener.reading([reading]);
      });
      // A clean end after metadata flowed: reconnect before saying anything (servers drop listeners).
      if (!healthy && !signal.aborted) listener.failure('stream ended');
      return healthy;
    } catch (error) {
      if (signal.aborted) return false; // stopping: nothing to report
      const failure = error instanceof SourceError ? error : new SourceError(describeNetworkError(error), { cause: error });
      listener.failure(failure.reason, error);
      return healthy;
    }
  }

  /** Read the stream until it ends; resolves on a clean end, rejects with a SourceError otherwise. */
  #read(response: StreamResponse, signal: AbortSignal, report: (reading: MountReading) => void): Promise<void> {
    const { socket, headers, rest } = response;
    const { charset } = this.options.upstream;
    let station: Omit<MountReading, 'title'>;
    let demuxer: IcyDemuxer;
    // The first block of a connection is always reported (it ends any staleness), later ones on a change.
    let reported = false;
    try {
      station = stationOf(this.#url, headers, charset);
      demuxer = new IcyDemuxer(metaintOf(headers.get('icy-metaint')), (block) => {
        let changed = !reported;
        const { title } = block.length > 0 ? parseIcyBlock(block, charset) : {};
        if (title !== undefined && title !== this.#title) {
          this.#title = title;
          changed = true;
        }
        if (!changed) return;
        reported = true;
        report(this.#title === undefined ? { ...station } : { ...station, title: this.#title });
      });
    } catch (error) {
      socket.destroy();
      return Promise.reject(error);
    }
    if (socket.destroyed) return Promise.reject(new SourceError('connection reset'));
    return new Promise((resolve, reject) => {
      let failure: unknown;
      const onAbort = () => socket.destroy();
      signal.addEventListener('abort', onAbort, { once: true });
      socket.setTimeout(this.options.requestTimeout, () => socket.destroy(new SourceError('stream stalled')));
      const push = (chunk: Buffer) => {
        try {
          demuxer.push(chunk);
        } catch (error) {
          socket.destroy(error as Error);
        }
      };
      socket.on('error', (error) => (failure ??= error));
      socket.once('close', () => {
        signal.removeEventListener('abort', onAbort);
        if (failure === undefined) resolve();
        else reject(failure instanceof SourceError ? failure : new SourceError(describeNetworkError(failure), { cause: failure }));
      });
      if (rest.length > 0) push(rest);
      socket.on('data', push);
      socket.resume();
    });
  }
}

/** `icy-metaint` as a whole number within bounds, or a SourceError saying what is wrong. */
function metaintOf(value: Buffer | undefined): number {
  if (value === undefined) throw new SourceError('no ICY metadata (icy-metaint missing)');
  const text = value.toString('latin1').trim();
  const metaint = /^\d{1,7}$/.test(text) ? Number(text) : Number.NaN;
  if (!(metaint >= 1 && metaint <= MAX_ICY_METAINT)) throw new SourceError('invalid icy-metaint');
  return metaint;
}

/** The station as the stream's `icy-*` headers describe it; each value decoded like a title. */
function stationOf(url: URL, headers: Map<string, Buffer>, charset: Charset): Omit<MountReading, 'title'> {
  const text = (name: string) => {
    const value = headers.get(name);
    return value === undefined ? undefined : decodeText(value, charset);
  };
  const reading: Omit<MountReading, 'title'> = { mount: mountOf(url) };
  const fields: [keyof MountReading, string][] = [
    ['name', 'icy-name'],
    ['description', 'icy-description'],
    ['genre', 'icy-genre'],
    ['url', 'icy-url'],
  ];
  for (const [key, header] of fields) {
    const value = text(header);
    if (value !== undefined) (reading as Record<string, unknown>)[key] = value;
  }
  // `icy-br: 128` (some servers list several rates, `128,128`: the first is the stream's).
  const bitrate = Number(/^\s*(\d{1,6})/.exec(text('icy-br') ?? '')?.[1]);
  if (bitrate > 0) reading.bitrate = bitrate;
  return reading;
}

/** The stream's path names its station (`/live` → `live`); a stream at `/` is `stream`. */
export function mountOf(url: URL): string {
  let path: string;
  try {
    path = decodeURIComponent(url.pathname);
  } catch {
    path = url.pathname;
  }
  return path.replace(/\/+$/, '') === '' ? '/stream' : path;
}
