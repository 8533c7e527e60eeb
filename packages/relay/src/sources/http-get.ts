/**
 * One bounded GET of an upstream document, redirects included. Every way an upstream can make the
 * relay spend without end is capped here, once, for every source that fetches over HTTP:
 * - the whole exchange (connect, redirects, headers, body) has one deadline;
 * - the body is cut at `maxBytes` (declared or streamed);
 * - at most `maxRedirects` redirects, each a request of the same poll; a loop ends at once;
 * - a redirect to another host is refused unless allowed, and even then never reaches a loopback,
 *   link-local or private address unless the upstream itself is one (address-policy.ts);
 * - credentials go to the upstream's own host only, as HTTP Basic auth.
 * It uses node:http rather than fetch: fetch cannot check the address it connects to, refuses URLs
 * with credentials, and follows redirects in ways that cannot be counted.
 */
import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { request as httpRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import { addressKind, redirectTargetAllowed, type AddressKind } from './address-policy.js';
import { SourceError } from './source.js';

export interface HttpGetOptions {
  /** Milliseconds for the whole exchange, redirects included. */
  timeout: number;
  /** Largest body accepted, in bytes. */
  maxBytes: number;
  /** Redirects followed within one request (0: none). */
  maxRedirects: number;
  /** Follow redirects to a host other than the upstream's (still never to a private address, see above). */
  crossHostRedirects: boolean;
  /** Sent as HTTP Basic auth, to the upstream's own host only. */
  credentials?: { username: string; password: string };
  /** Aborts the request when the caller stops. */
  signal?: AbortSignal;
  /** Called for each request made (the first and each redirect), for logs and counting. */
  onRequest?: (url: URL) => void;
  /** Extra request headers, replacing defaults of the same name (Shoutcast v1 needs a browser's User-Agent). */
  headers?: Record<string, string>;
}

export interface HttpGetResult {
  body: Buffer;
  /** The URL that finally answered. */
  url: URL;
  /** The Content-Type header, if any. */
  contentType?: string;
}

export const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
export const USER_AGENT = 'now-playing-relay (+https://github.com/now-playing)';

/** A refusal by the address policy, raised from inside DNS lookup so no connection is ever opened. */
class AddressRefused extends Error {
  readonly code = 'ERR_NOW_PLAYING_ADDRESS_REFUSED';
}

/**
 * The policy of one upstream request across its redirects, shared by every way the relay reaches an
 * upstream (`httpGet` here, the raw-socket stream opener of the ICY source): which URL comes next,
 * which addresses each hop may connect to, and where credentials may go.
 */
export class RedirectChain {
  readonly #origin: string;
  readonly #visited = new Set<string>();
  // The kind of address the upstream itself resolved to: what a cross-host redirect may reach.
  #upstreamKind: AddressKind | undefined;
  #redirects = 0;
  #current: URL;

  constructor(
    url: URL,
    private readonly options: Pick<HttpGetOptions, 'maxRedirects' | 'crossHostRedirects' | 'credentials'>,
  ) {
    this.#origin = url.host;
    this.#current = url;
    this.#visited.add(url.href);
  }

  /** The URL of the hop being made. */
  get current(): URL {
    return this.#current;
  }

  /** Throws (AddressRefused) for an address the current hop must not connect to. */
  readonly checkAddress = (address: string): void => {
    const kind = addressKind(address);
    if (this.#current.host === this.#origin) this.#upstreamKind ??= kind;
    else if (!redirectTargetAllowed(kind, this.#upstreamKind ?? 'public')) throw new AddressRefused(kind);
  };

  /** HTTP Basic auth for the current hop: sent to the upstream's own host only. */
  authorization(): string | undefined {
    return this.#current.host === this.#origin ? basicAuth(this.options.credentials) : undefined;
  }

  /** Follow a redirect: the next URL, or a SourceError saying why the relay will not go there. */
  follow(location: string | undefined): URL {
    this.#current = nextLocation(this.#current, location, { origin: this.#origin, visited: this.#visited, redirects: this.#redirects++ }, this.options);
    this.#visited.add(this.#current.href);
    return this.#current;
  }
}

/**
 * GET `url`; resolve with the body of the first non-redirect 2xx answer, or throw a SourceError whose
 * reason says what went wrong in a few words (`timeout`, `HTTP 500`, `redirect loop`, …).
 */
export async function httpGet(url: URL, options: HttpGetOptions): Promise<HttpGetResult> {
  const timeout = AbortSignal.timeout(options.timeout);
  const signal = options.signal ? AbortSignal.any([timeout, options.signal]) : timeout;
  const chain = new RedirectChain(url, options);
  try {
    for (;;) {
      const current = chain.current;
      options.onRequest?.(current);
      const response = await requestOnce(current, {
        signal,
        check: chain.checkAddress,
        authorization: chain.authorization(),
        headers: options.headers,
      });
      const { statusCode = 0 } = response;
      if (REDIRECT_STATUSES.has(statusCode)) {
        response.destroy();
        chain.follow(response.headers.location);
        continue;
      }
      if (statusCode < 200 || statusCode > 299) {
        response.destroy();
        throw new SourceError(`HTTP ${statusCode}`);
      }
      const contentType = response.headers['content-type'];
      // A status page that turns out to be a stream (Shoutcast v1 without a browser's User-Agent) is
      // refused before its first byte is read, with a reason that says so.
      if (contentType !== undefined && /^\s*(audio|video)\/|^\s*application\/ogg/i.test(contentType)) {
        response.destroy();
        throw new SourceError('an audio stream, not a status page');
      }
      const body = await readLimited(response, options.maxBytes);
      return contentType === undefined ? { body, url: current } : { body, url: current, contentType };
    }
  } catch (error) {
    throw asSourceError(error, timeout, options.signal);
  }
}

/** Any error of an upstream exchange as a SourceError with a short reason (`timeout`, `stopped`, `connection refused`, …). */
export function asSourceError(error: unknown, timeout: AbortSignal, stop?: AbortSignal): SourceError {
  if (error instanceof SourceError) return error;
  if (timeout.aborted) return new SourceError('timeout', { cause: error });
  if (stop?.aborted) return new SourceError('stopped', { cause: error });
  return new SourceError(describeNetworkError(error), { cause: error });
}

/** Where a redirect leads, or a SourceError saying why the relay will not go there. */
function nextLocation(
  from: URL,
  location: string | undefined,
  { origin, visited, redirects }: { origin: string; visited: Set<string>; redirects: number },
  options: Pick<HttpGetOptions, 'maxRedirects' | 'crossHostRedirects'>,
): URL {
  if (redirects >= options.maxRedirects) throw new SourceError(options.maxRedirects === 0 ? 'redirect not followed' : 'too many redirects');
  let next: URL;
  try {
    next = new URL(location ?? '', from);
  } catch {
    throw new SourceError('invalid redirect');
  }
  if (location === undefined || location === '') throw new SourceError('invalid redirect');
  if (next.protocol !== 'http:' && next.protocol !== 'https:') throw new SourceError('redirect to a non-HTTP URL refused');
  next.username = next.password = next.hash = '';
  if (visited.has(next.href)) throw new SourceError('redirect loop');
  if (next.host !== origin && !options.crossHostRedirects) throw new SourceError('redirect to another host refused');
  return next;
}

interface OnceOptions {
  signal: AbortSignal;
  /** Throws (AddressRefused) for an address the request must not connect to. */
  check: (address: string) => void;
  authorization: string | undefined;
  headers: Record<string, string> | undefined;
}

function requestOnce(url: URL, { signal, check, authorization, headers }: OnceOptions): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    let lookup: RequestOptions['lookup'];
    try {
      lookup = checkedLookupFor(url, check);
    } catch (error) {
      reject(error);
      return;
    }
    const options: RequestOptions = {
      method: 'GET',
      signal,
      headers: {
        accept: 'application/json, text/html;q=0.9, */*;q=0.5',
        'user-agent': USER_AGENT,
        ...(authorization ? { authorization } : {}),
        ...headers,
      },
      lookup,
    };
    const request = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, options, resolve);
    request.once('error', reject);
    request.end();
  });
}

/**
 * The `lookup` option for connecting to `url` (node:http, net, tls): every resolved address passes
 * `check` before anything connects. An IP literal is connected to without a lookup, so it is checked
 * here, at once (throws).
 */
export function checkedLookupFor(url: URL, check: (address: string) => void): RequestOptions['lookup'] {
  const hostname = url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(hostname)) check(hostname);
  return checkedLookup(check);
}

/** dns.lookup, with every resolved address passed through `check` before anything connects. */
function checkedLookup(check: (address: string) => void): RequestOptions['lookup'] {
  return ((hostname: string, options: LookupOptions, callback: (...args: unknown[]) => void) => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
      if (error) return callback(error);
      try {
        for (const { address } of addresses) check(address);
      } catch (refusal) {
        return callback(refusal);
      }
      if (options.all) callback(null, addresses);
      else callback(null, addresses[0]!.address, addresses[0]!.family);
    });
  }) as RequestOptions['lookup'];
}

async function readLimited(response: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const tooLarge = () => new SourceError(`response larger than ${maxBytes} bytes`);
  if (Number(response.headers['content-length']) > maxBytes) {
    response.destroy();
    throw tooLarge();
  }
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of response as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > maxBytes) {
      response.destroy();
      throw tooLarge();
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, total);
}

function basicAuth(credentials: HttpGetOptions['credentials']): string | undefined {
  if (!credentials) return undefined;
  return `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
}

export function describeNetworkError(error: unknown): string {
  if (error instanceof AddressRefused) return 'redirect to a private address refused';
  const code = (error as { code?: string })?.code ?? '';
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ECONNRESET':
    case 'EPIPE':
      return 'connection reset';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'host not found';
    case 'ETIMEDOUT':
      return 'timeout';
    default:
      if (code.startsWith('HPE_')) return 'invalid HTTP response';
      if (code.startsWith('ERR_TLS') || code.includes('CERT')) return 'TLS error';
      return code ? `network error (${code.slice(0, 40)})` : 'network error';
  }
}
