/** The statuses a redirect fault may answer with. */
export type RedirectStatus = 301 | 302 | 303 | 307 | 308;

/**
 * Ways to make the fake misbehave, so a relay can be tested against a sick or hostile upstream. Most
 * apply to the status page of the server kind being played (`/status-json.xsl`; SHOUTcast's
 * `/statistics`, `/stats` and `/7.html`); `stall`, `stream-garbage` and `metadata-overflow` apply to
 * the audio streams instead.
 */
export type Fault =
  /** An HTTP error (default 500) with a small text/html body, like Icecast's own error pages. */
  | { kind: 'http-error'; status?: number }
  /** Accept the request and never answer, until the fault is changed or cleared (then the socket is destroyed). */
  | { kind: 'hang' }
  /** Answer correctly after `delayMs`. */
  | { kind: 'slow'; delayMs: number }
  /** 200 with a truncated JSON body. */
  | { kind: 'invalid-json' }
  /**
   * 200 with a JSON-looking body of exactly `bytes` bytes, streamed. `Content-Length` is sent unless
   * `chunked` is true, so both a declared-size check and a streaming size limit can be exercised.
   */
  | { kind: 'huge'; bytes: number; chunked?: boolean }
  /** Destroy the connection (TCP RST) without answering. */
  | { kind: 'reset' }
  /** A redirect (default 302) whose `Location` is the requested status URL itself: an endless loop if followed. */
  | { kind: 'redirect-self'; status?: RedirectStatus }
  /**
   * A redirect (default 302) to `location`, an absolute http(s) URL (another server, a cloud metadata
   * address...). Kept as the WHATWG URL parser writes it (`http://a` becomes `http://a/`).
   */
  | { kind: 'redirect'; location: string; status?: RedirectStatus }
  /**
   * Every answer lists `perRequest` (default 1000) mounts never listed before, each with a title, instead
   * of the configured ones: a relay that keeps state per mount name grows without end.
   */
  | { kind: 'churn-mounts'; perRequest?: number }
  /** The healthy body, but every mount's title is exactly `chars` ASCII characters long (mounts without one get one). */
  | { kind: 'huge-title'; chars: number }
  /**
   * The healthy body encoded as ISO-8859-1 instead of UTF-8 (characters above U+00FF as `&#NNNN;`),
   * still labelled `charset=UTF-8`.
   */
  | { kind: 'latin1' }
  /** 200 with 4 KiB of fixed pseudo-random bytes: not text at all, as from a server of another kind. */
  | { kind: 'binary' }
  /** 200 `audio/mpeg` and an endless stream, as SHOUTcast v1 answers `/7.html` to a client that is not a browser. */
  | { kind: 'endless-audio' }
  /** Streams stop sending (their sockets stay open) until the fault changes; new ones send their head only. */
  | { kind: 'stall' }
  /** Streams send pseudo-random bytes instead of audio and metadata (their head stays valid). */
  | { kind: 'stream-garbage' }
  /** Every metadata block is the largest there is: length byte 255, a title of about 4,060 characters. */
  | { kind: 'metadata-overflow' };

export type FaultKind = Fault['kind'];

const FIELDS: Record<FaultKind, readonly string[]> = {
  'http-error': ['status'],
  hang: [],
  slow: ['delayMs'],
  'invalid-json': [],
  huge: ['bytes', 'chunked'],
  reset: [],
  'redirect-self': ['status'],
  redirect: ['location', 'status'],
  'churn-mounts': ['perRequest'],
  'huge-title': ['chars'],
  latin1: [],
  binary: [],
  'endless-audio': [],
  stall: [],
  'stream-garbage': [],
  'metadata-overflow': [],
};

/** Every fault kind, for help texts and error messages. */
export const FAULT_KINDS = Object.keys(FIELDS) as readonly FaultKind[];

// setTimeout's ceiling; a longer delay would fire at once.
const MAX_DELAY_MS = 2 ** 31 - 1;
const REDIRECT_STATUSES: readonly number[] = [301, 302, 303, 307, 308];
// Well past any sane header, yet small enough for every HTTP client to read the Location.
const MAX_LOCATION_CHARS = 8192;
export const DEFAULT_CHURN_PER_REQUEST = 1000;
export const MAX_CHURN_PER_REQUEST = 100_000;
export const MAX_TITLE_CHARS = 50_000_000;

/**
 * Checks a fault that may come from the wire and returns a clean copy.
 * Throws a TypeError whose message names the problem.
 */
export function parseFault(value: unknown): Fault {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TypeError('fault must be a JSON object with a "kind"');
  }
  const input = value as Record<string, unknown>;
  const kind = input.kind;
  if (typeof kind !== 'string' || !Object.hasOwn(FIELDS, kind)) {
    throw new TypeError(`fault "kind" must be one of ${Object.keys(FIELDS).join(', ')}, got ${JSON.stringify(kind)}`);
  }
  const allowed = FIELDS[kind as FaultKind];
  for (const key of Object.keys(input)) {
    if (key !== 'kind' && !allowed.includes(key)) throw new TypeError(`unknown field "${key}" for fault "${kind}"`);
  }
  switch (kind as FaultKind) {
    case 'http-error': {
      if (input.status === undefined) return { kind: 'http-error' };
      const status = input.status;
      if (!Number.isInteger(status) || (status as number) < 400 || (status as number) > 599) {
        throw new TypeError(`fault "status" must be an integer from 400 to 599, got ${JSON.stringify(status)}`);
      }
      return { kind: 'http-error', status: status as number };
    }
    case 'slow': {
      const delayMs = input.delayMs;
      if (typeof delayMs !== 'number' || !(delayMs >= 0 && delayMs <= MAX_DELAY_MS)) {
        throw new TypeError(`fault "delayMs" must be a number from 0 to ${MAX_DELAY_MS}, got ${JSON.stringify(delayMs)}`);
      }
      return { kind: 'slow', delayMs };
    }
    case 'huge': {
      const bytes = input.bytes;
      if (!Number.isSafeInteger(bytes) || (bytes as number) < 0) {
        throw new TypeError(`fault "bytes" must be a non-negative integer, got ${JSON.stringify(bytes)}`);
      }
      if (input.chunked !== undefined && typeof input.chunked !== 'boolean') {
        throw new TypeError(`fault "chunked" must be a boolean, got ${JSON.stringify(input.chunked)}`);
      }
      return input.chunked === undefined
        ? { kind: 'huge', bytes: bytes as number }
        : { kind: 'huge', bytes: bytes as number, chunked: input.chunked };
    }
    case 'redirect-self': {
      const status = redirectStatus(input.status);
      return status === undefined ? { kind: 'redirect-self' } : { kind: 'redirect-self', status };
    }
    case 'redirect': {
      const location = absoluteHttpUrl(input.location);
      const status = redirectStatus(input.status);
      return status === undefined ? { kind: 'redirect', location } : { kind: 'redirect', location, status };
    }
    case 'churn-mounts': {
      const perRequest = input.perRequest;
      if (perRequest === undefined) return { kind: 'churn-mounts' };
      if (!Number.isInteger(perRequest) || (perRequest as number) < 1 || (perRequest as number) > MAX_CHURN_PER_REQUEST) {
        throw new TypeError(
          `fault "perRequest" must be an integer from 1 to ${MAX_CHURN_PER_REQUEST}, got ${JSON.stringify(perRequest)}`,
        );
      }
      return { kind: 'churn-mounts', perRequest: perRequest as number };
    }
    case 'huge-title': {
      const chars = input.chars;
      if (!Number.isInteger(chars) || (chars as number) < 0 || (chars as number) > MAX_TITLE_CHARS) {
        throw new TypeError(`fault "chars" must be an integer from 0 to ${MAX_TITLE_CHARS}, got ${JSON.stringify(chars)}`);
      }
      return { kind: 'huge-title', chars: chars as number };
    }
    case 'hang':
    case 'invalid-json':
    case 'reset':
    case 'latin1':
    case 'binary':
    case 'endless-audio':
    case 'stall':
    case 'stream-garbage':
    case 'metadata-overflow':
      return { kind } as Fault;
  }
}

function redirectStatus(status: unknown): RedirectStatus | undefined {
  if (status === undefined) return undefined;
  if (typeof status !== 'number' || !REDIRECT_STATUSES.includes(status)) {
    throw new TypeError(`fault "status" must be one of ${REDIRECT_STATUSES.join(', ')}, got ${JSON.stringify(status)}`);
  }
  return status as RedirectStatus;
}

/** The URL as the WHATWG parser writes it: pure ASCII, no CR/LF, so it is always a valid header value. */
function absoluteHttpUrl(location: unknown): string {
  const problem = `fault "location" must be an absolute http or https URL of at most ${MAX_LOCATION_CHARS} characters`;
  // The echo is cut short: the message travels back in a control answer.
  const got = `, got ${JSON.stringify(typeof location === 'string' ? location.slice(0, 200) : location)}`;
  if (typeof location !== 'string') throw new TypeError(problem + got);
  let url: URL;
  try {
    url = new URL(location);
  } catch {
    throw new TypeError(problem + got);
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.href.length > MAX_LOCATION_CHARS) {
    throw new TypeError(problem + got);
  }
  return url.href;
}
