/** Ways to make `GET /status-json.xsl` misbehave, so a relay can be tested against a sick upstream. */
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
  | { kind: 'reset' };

export type FaultKind = Fault['kind'];

const FIELDS: Record<FaultKind, readonly string[]> = {
  'http-error': ['status'],
  hang: [],
  slow: ['delayMs'],
  'invalid-json': [],
  huge: ['bytes', 'chunked'],
  reset: [],
};

// setTimeout's ceiling; a longer delay would fire at once.
const MAX_DELAY_MS = 2 ** 31 - 1;

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
    case 'hang':
    case 'invalid-json':
    case 'reset':
      return { kind: kind as 'hang' | 'invalid-json' | 'reset' };
  }
}

/**
 * The body of a `huge` answer: a plausible status-json prefix, then an endless title, cut at exactly
 * `bytes` bytes. Generated chunk by chunk so a 100 MB answer never sits in memory.
 */
export function* hugeBody(prefix: string, bytes: number): Generator<Buffer> {
  const head = Buffer.from(prefix).subarray(0, bytes);
  if (head.length > 0) yield head;
  const padding = Buffer.alloc(64 * 1024, 'x');
  for (let left = bytes - head.length; left > 0; left -= padding.length) {
    yield left >= padding.length ? padding : padding.subarray(0, left);
  }
}

/** The body of an `invalid-json` answer: the first half of a healthy body (an unclosed object). */
export function truncatedBody(body: string): Buffer {
  const bytes = Buffer.from(body);
  return bytes.subarray(0, Math.floor(bytes.length / 2));
}
