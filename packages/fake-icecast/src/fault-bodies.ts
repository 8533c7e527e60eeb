/**
 * What faulty status answers contain. Long bodies are generated chunk by chunk with their exact length
 * known up front, so they can be sent with `Content-Length` (as Icecast does) without sitting in memory.
 */
import { defaultMountState } from './mount-state.js';
import { renderSource, renderStatusHead, type ServerInfo } from './status-json.js';

/** A body too long to build in one piece: its exact byte length and its bytes, in order. */
export interface StreamedBody {
  length: number;
  chunks: Iterable<Buffer>;
}

const CHUNK_BYTES = 64 * 1024;

/**
 * The body of a `huge` answer: a plausible status-json prefix, then an endless title, cut at exactly
 * `bytes` bytes.
 */
export function* hugeBody(prefix: string, bytes: number): Generator<Buffer> {
  const head = Buffer.from(prefix).subarray(0, bytes);
  if (head.length > 0) yield head;
  const padding = Buffer.alloc(CHUNK_BYTES, 'x');
  for (let left = bytes - head.length; left > 0; left -= padding.length) {
    yield left >= padding.length ? padding : padding.subarray(0, left);
  }
}

/** The body of an `invalid-json` answer: the first half of a healthy body (an unclosed object). */
export function truncatedBody(body: string): Buffer {
  const bytes = Buffer.from(body);
  return bytes.subarray(0, Math.floor(bytes.length / 2));
}

// Fixed-width ids: every generated source has the same length (so the total is known without rendering
// twice) and name order is number order (so the list is sorted, as Icecast sorts it). 10^12 ids would
// take ten million answers of the largest size.
const CHURN_ID_DIGITS = 12;
const SOURCES_PER_CHUNK = 256;

/** The mount name a `churn-mounts` answer uses for id `id`: `/churn-000000000042`. */
export function churnMountName(id: number): string {
  return `/churn-${String(id).padStart(CHURN_ID_DIGITS, '0')}`;
}

/**
 * A status body in Icecast's shape listing `count` mounts with ids `firstId`, `firstId + 1`, ..., each
 * with a title, all on air since `streamStart`. Nothing is kept: the sources are rendered as sent.
 */
export function churnBody(server: ServerInfo, firstId: number, count: number, streamStart: Date): StreamedBody {
  const source = (id: number): string => {
    const mount = churnMountName(id);
    const title = `Churn track ${mount.slice('/churn-'.length)}`;
    return renderSource(mount, { ...defaultMountState(mount), title, streamStart }, server);
  };
  // Icecast writes one source as an object, several as an array.
  const [open, close] = count === 1 ? ['', ''] : ['[', ']'];
  const head = `{"icestats":{${renderStatusHead(server)},"source":${open}`;
  const tail = `${close}}}`;
  const sourceBytes = Buffer.byteLength(source(firstId));
  const length = Buffer.byteLength(head) + count * sourceBytes + (count - 1) + Buffer.byteLength(tail);

  function* chunks(): Generator<Buffer> {
    yield Buffer.from(head);
    for (let start = 0; start < count; start += SOURCES_PER_CHUNK) {
      const batch: string[] = [];
      for (let i = start; i < Math.min(count, start + SOURCES_PER_CHUNK); i += 1) batch.push(source(firstId + i));
      const text = (start === 0 ? '' : ',') + batch.join(',');
      const bytes = Buffer.from(text);
      // Only an id past the fixed width could change a source's length; fail loudly rather than lie.
      if (bytes.length !== batch.length * sourceBytes + batch.length - (start === 0 ? 1 : 0)) {
        throw new RangeError('churn source length changed: ids overflowed their fixed width');
      }
      yield bytes;
    }
    yield Buffer.from(tail);
  }
  return { length, chunks: chunks() };
}

const TITLE_PATTERN = 'A very long title ';
// A whole number of patterns, so consecutive chunks continue the text seamlessly.
const TITLE_CHUNK = Buffer.from(TITLE_PATTERN.repeat(Math.ceil(CHUNK_BYTES / TITLE_PATTERN.length)));

/** The first `chars` characters of `A very long title A very long title ...` (ASCII: one byte each). */
export function hugeTitle(chars: number): string {
  return TITLE_PATTERN.repeat(Math.ceil(chars / TITLE_PATTERN.length)).slice(0, chars);
}

/**
 * `template` is a status body rendered with every title set to `marker`; each marker is replaced by a
 * `chars`-character title, streamed, so only the template and one chunk are in memory.
 */
export function hugeTitleBody(template: string, marker: string, chars: number): StreamedBody {
  const parts = template.split(marker).map((part) => Buffer.from(part));
  const titles = parts.length - 1;
  const length = parts.reduce((sum, part) => sum + part.length, 0) + titles * chars;

  function* chunks(): Generator<Buffer> {
    for (const [i, part] of parts.entries()) {
      if (part.length > 0) yield part;
      if (i === titles) break;
      for (let left = chars; left > 0; left -= TITLE_CHUNK.length) {
        yield left >= TITLE_CHUNK.length ? TITLE_CHUNK : TITLE_CHUNK.subarray(0, left);
      }
    }
  }
  return { length, chunks: chunks() };
}

/**
 * `body` as ISO-8859-1 bytes: every character up to U+00FF as one byte, anything above as a decimal
 * numeric character reference (what Icecast writes for a mount without a charset).
 */
export function latin1Bytes(body: string): Buffer {
  let text = '';
  for (const char of body) {
    const codePoint = char.codePointAt(0)!;
    text += codePoint > 0xff ? `&#${codePoint};` : char;
  }
  return Buffer.from(text, 'latin1');
}

const BINARY_BYTES = 4096;
let binary: Buffer | undefined;

/** 4 KiB from a fixed-seed xorshift32: the same bytes on every answer, nothing like text. */
export function binaryBody(): Buffer {
  if (binary === undefined) {
    binary = Buffer.alloc(BINARY_BYTES);
    let state = 0x9e3779b9;
    for (let i = 0; i < BINARY_BYTES; i += 1) {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      binary[i] = state & 0xff;
    }
  }
  return binary;
}
