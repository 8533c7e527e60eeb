/**
 * In-stream ICY metadata, as SHOUTcast defined it and Icecast serves it: after every `icy-metaint`
 * bytes of audio comes one length byte N, then N × 16 bytes of text such as
 * `StreamTitle='Artist - Title';StreamUrl='';`, padded with NULs. N = 0 means "unchanged" (Icecast
 * sends a full block after connect and after each change, zero-length ones in between).
 *
 * A block is at most 255 × 16 = 4,080 bytes by design, so one block buffer is all the demuxer ever
 * holds; audio bytes are counted and dropped, never kept.
 */
import { decodeText, type Charset } from './charset.js';
import { SourceError } from './source.js';

/** The largest metadata block the format can express: a length byte of 255, times 16. */
export const MAX_ICY_BLOCK_BYTES = 255 * 16;
/** The largest `icy-metaint` accepted (real servers use 8,192–32,768; 16,000 for Icecast). */
export const MAX_ICY_METAINT = 1024 * 1024;

const EMPTY = Buffer.alloc(0);

/** Splits a stream into audio (dropped) and metadata blocks (handed to `onBlock`, empty for N = 0). */
export class IcyDemuxer {
  #audioLeft: number;
  #block: Buffer | undefined;
  #filled = 0;

  constructor(
    readonly metaint: number,
    private readonly onBlock: (block: Buffer) => void,
  ) {
    if (!Number.isSafeInteger(metaint) || metaint < 1 || metaint > MAX_ICY_METAINT) throw new RangeError(`invalid metaint ${metaint}`);
    this.#audioLeft = metaint;
  }

  /** Bytes held right now: the block being read (never more than MAX_ICY_BLOCK_BYTES). */
  get buffered(): number {
    return this.#block?.length ?? 0;
  }

  /** Feed the next bytes of the stream; `onBlock` runs (and may throw) for each block completed. */
  push(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length) {
      if (this.#block) {
        const take = Math.min(this.#block.length - this.#filled, chunk.length - at);
        chunk.copy(this.#block, this.#filled, at, at + take);
        this.#filled += take;
        at += take;
        if (this.#filled === this.#block.length) this.#emit(this.#block);
      } else if (this.#audioLeft > 0) {
        const skip = Math.min(this.#audioLeft, chunk.length - at);
        this.#audioLeft -= skip;
        at += skip;
      } else {
        const length = chunk[at++]! * 16;
        if (length === 0) this.#emit(EMPTY);
        else {
          this.#block = Buffer.allocUnsafe(length);
          this.#filled = 0;
        }
      }
    }
  }

  #emit(block: Buffer): void {
    this.#block = undefined;
    this.#audioLeft = this.metaint;
    this.onBlock(block);
  }
}

/** What one metadata block says. A member is absent when the block does not mention it. */
export interface IcyMetadata {
  title?: string;
  url?: string;
}

const QUOTE = 0x27; // '
const SEMICOLON = 0x3b;
const EQUALS = 0x3d;

/**
 * Parse one block. Values are not escaped, so `';` may occur inside a title: a value ends at the first
 * `';` that is followed by the end of the block or by the next `Key='`. A value that runs to the end
 * without its `;` (some encoders) ends at the last `'`. Each value is decoded on its own (`charset`:
 * UTF-8 when valid, else Latin-1, unless forced). Throws a SourceError for a block that is not
 * `Key='value';` text at all (binary bytes: the stream is not ICY at this metaint, or hostile).
 */
export function parseIcyBlock(block: Uint8Array, charset: Charset): IcyMetadata {
  let end = block.length;
  while (end > 0 && (block[end - 1] === 0 || isSpace(block[end - 1]!))) end--;
  const result: IcyMetadata = {};
  let at = 0;
  while (at < end) {
    while (at < end && isSpace(block[at]!)) at++;
    const keyEnd = keyAt(block, at, end);
    if (keyEnd < 0) throw invalid();
    const key = Buffer.from(block.buffer, block.byteOffset + at, keyEnd - at).toString('latin1').toLowerCase();
    const valueStart = keyEnd + 2; // after ='
    const valueEnd = valueEndFrom(block, valueStart, end);
    if (valueEnd < 0) throw invalid();
    const value = decodeText(block.subarray(valueStart, valueEnd), charset);
    if (key === 'streamtitle') result.title = value;
    else if (key === 'streamurl') result.url = value;
    at = Math.min(end, valueEnd + 2); // after ';
  }
  return result;
}

/** Where the value starting at `start` ends (the index of its closing quote), or -1. */
function valueEndFrom(block: Uint8Array, start: number, end: number): number {
  for (let i = start; i < end; i++) {
    if (block[i] !== QUOTE) continue;
    if (i + 1 === end) return i; // `'` closes the block without its `;`
    if (block[i + 1] !== SEMICOLON) continue;
    let next = i + 2;
    while (next < end && isSpace(block[next]!)) next++;
    if (next === end || keyAt(block, next, end) >= 0) return i;
  }
  return -1;
}

/** If a `Key='` starts at `at`, the index of its `=`; else -1. Keys are ASCII letters, digits and `_`. */
function keyAt(block: Uint8Array, at: number, end: number): number {
  if (at >= end || !isLetter(block[at]!)) return -1;
  let i = at + 1;
  while (i < end && (isLetter(block[i]!) || isDigit(block[i]!) || block[i] === 0x5f)) i++;
  return i + 1 < end && block[i] === EQUALS && block[i + 1] === QUOTE ? i : -1;
}

const isLetter = (b: number) => (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a);
const isDigit = (b: number) => b >= 0x30 && b <= 0x39;
const isSpace = (b: number) => b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d;
const invalid = () => new SourceError('invalid ICY metadata');
