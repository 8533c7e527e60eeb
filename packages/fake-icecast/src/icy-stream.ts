/**
 * Audio streams with in-stream ICY metadata, as Icecast 2.4.4 and SHOUTcast serve them
 * (fixtures/icy-block-dump.txt): a request with `Icy-MetaData: 1` gets `icy-*` headers with
 * `icy-metaint`, then audio with a metadata block after every `metaint` audio bytes: a full block
 * (`StreamTitle='…';`, NUL-padded to a multiple of 16, length byte first) after connect and after each
 * title change, a zero length byte in between. Without `Icy-MetaData: 1` the answer is plain audio,
 * which a browser's `<audio>` can play.
 *
 * The audio is MPEG-1 Layer III silence (a valid 128 kbps mono frame with no audio data, repeated),
 * paced at the stream's byte rate after an initial burst, like a real server. A title change reaches
 * a listener at its next block boundary, as on a real server. The head is written on the raw socket:
 * SHOUTcast v1's `ICY 200 OK` is not something node:http would write.
 */
import type { Socket } from 'node:net';
import { binaryBody, latin1Bytes } from './fault-bodies.js';
import type { Fault } from './faults.js';
import type { MountState } from './mount-state.js';

/** The first line of a stream answer: Icecast and SHOUTcast v2 send HTTP/1.0, SHOUTcast v1 `ICY`. */
export type StreamStatusLine = 'HTTP/1.0 200 OK' | 'ICY 200 OK';

export interface StreamSettings {
  /** `icy-metaint`: audio bytes between two metadata blocks (Icecast 16,000; SHOUTcast 8,192). */
  metaint: number;
  /** Audio bytes per second once the burst is sent (16,000 ≈ 128 kbps). */
  bytesPerSecond: number;
  /** Audio bytes sent at once on connect (a server's burst). One metaint: the first block comes at once. */
  burstBytes: number;
  statusLine: StreamStatusLine;
  /** The server's own headers (Icecast's `Server:` and no-cache set, or SHOUTcast's notices). */
  headers: (metadata: boolean) => string[];
  /** SHOUTcast writes `StreamUrl='';` after the title; Icecast does not. */
  streamUrl: boolean;
}

/** What a stream reads at every block boundary. */
export interface StreamSource {
  /** The mount's state now; undefined once the mount is gone (the stream then ends). */
  state(): MountState | undefined;
  fault(): Fault | null;
  /** Called when a full block with a new title is written (the moment a listener can read it). */
  titleSent(title: string): void;
}

const MAX_BLOCK_BYTES = 255 * 16;
const TICK_MS = 50;
// Stop writing to a listener this far behind (it is not reading); a real server would drop it.
const MAX_QUEUED_BYTES = 256 * 1024;

// MPEG-1 Layer III, 128 kbps, 44.1 kHz, mono, no CRC, no padding: 144 × 128000 / 44100 = 417 bytes.
// Side information and main data all zero: every decoder reads it as silence.
const SILENT_FRAME = Buffer.concat([Buffer.from([0xff, 0xfb, 0x90, 0xc4]), Buffer.alloc(413)]);
const AUDIO = Buffer.concat(Array.from({ length: 64 }, () => SILENT_FRAME));

/** One listener's stream, from the head to the end. Ends by itself when the socket closes. */
export class IcyStream {
  readonly #socket: Socket;
  readonly #settings: StreamSettings;
  readonly #source: StreamSource;
  readonly #metadata: boolean;
  readonly #timer: ReturnType<typeof setInterval>;
  readonly #started = Date.now();
  #sent = 0;
  #audioOffset = 0;
  #untilBlock: number;
  /** The title the listener has; undefined until a title was sent. */
  #title: string | undefined;

  constructor(socket: Socket, settings: StreamSettings, source: StreamSource, metadata: boolean) {
    this.#socket = socket;
    this.#settings = settings;
    this.#source = source;
    this.#metadata = metadata;
    this.#untilBlock = settings.metaint;
    socket.setNoDelay(true);
    socket.write(this.#head(), 'latin1');
    this.#timer = setInterval(() => this.#pump(), TICK_MS);
    socket.once('close', () => clearInterval(this.#timer));
    socket.on('error', () => {}); // a listener hanging up is normal
    this.#pump();
  }

  /** End the stream (the mount went away, or the server closes). */
  end(): void {
    clearInterval(this.#timer);
    this.#socket.end();
  }

  #head(): string {
    const state = this.#source.state() ?? {};
    const line = (name: string, value: string | number | undefined) =>
      value === undefined ? [] : [`${name}:${headerText(String(value), state.charset)}`];
    const lines = [
      this.#settings.statusLine,
      ...this.#settings.headers(this.#metadata),
      ...line('icy-br', state.bitrate === undefined ? undefined : Math.round(state.bitrate)),
      ...line('icy-description', state.description),
      ...line('icy-genre', state.genre),
      ...line('icy-name', state.serverName),
      'icy-pub:0',
      ...line('icy-url', state.serverUrl),
      ...(this.#metadata ? ['icy-metadata:1', `icy-metaint:${this.#settings.metaint}`] : []),
    ];
    return `${lines.join('\r\n')}\r\n\r\n`;
  }

  /** Write what is due by now: the burst, then the byte rate. */
  #pump(): void {
    if (this.#socket.destroyed || this.#socket.writableEnded) return;
    const state = this.#source.state();
    if (state === undefined) return this.end();
    const fault = this.#source.fault();
    if (fault?.kind === 'stall') return;
    const { bytesPerSecond, burstBytes } = this.#settings;
    const due = burstBytes + Math.floor(((Date.now() - this.#started) * bytesPerSecond) / 1000) - this.#sent;
    if (due <= 0) return;
    this.#sent += due;
    if (this.#socket.writableLength > MAX_QUEUED_BYTES) return; // not reading: skip, as a server drops data
    if (fault?.kind === 'stream-garbage') {
      this.#socket.write(garbage(due));
      return;
    }
    const parts: Buffer[] = [];
    for (let left = due; left > 0; ) {
      const audio = this.#metadata ? Math.min(left, this.#untilBlock) : left;
      parts.push(this.#audio(audio));
      left -= audio;
      if (!this.#metadata) continue;
      this.#untilBlock -= audio;
      if (this.#untilBlock === 0) {
        parts.push(this.#block(state, fault));
        this.#untilBlock = this.#settings.metaint;
      }
    }
    this.#socket.write(Buffer.concat(parts));
  }

  #audio(bytes: number): Buffer {
    const parts: Buffer[] = [];
    for (let left = bytes; left > 0; ) {
      const take = Math.min(left, AUDIO.length - this.#audioOffset);
      parts.push(AUDIO.subarray(this.#audioOffset, this.#audioOffset + take));
      this.#audioOffset = (this.#audioOffset + take) % AUDIO.length;
      left -= take;
    }
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  }

  /** The metadata block due now: full after a change (or always, under `metadata-overflow`), else empty. */
  #block(state: MountState, fault: Fault | null): Buffer {
    if (fault?.kind === 'metadata-overflow') return overflowBlock();
    const title = state.title ?? undefined;
    if (title === this.#title) return Buffer.from([0]);
    this.#title = title;
    const block = metadataBlock(title ?? '', state.charset, this.#settings.streamUrl);
    this.#source.titleSent(title ?? '');
    return block;
  }
}

/**
 * One full block: `StreamTitle='…';` in the mount's charset (unset: Latin-1, characters above U+00FF
 * as `&#NNNN;`, as Icecast writes an MP3 mount without `<charset>`; `UTF-8`: UTF-8), cut to fit the
 * largest block, NUL-padded to a multiple of 16, its length byte first. The title is not escaped.
 */
export function metadataBlock(title: string, charset: string | undefined, streamUrl = false): Buffer {
  const encode = (text: string) => (isUtf8(charset) ? Buffer.from(text, 'utf8') : latin1Bytes(text));
  const tail = encode(`';${streamUrl ? "StreamUrl='';" : ''}`);
  const head = encode("StreamTitle='");
  const value = encode(title).subarray(0, MAX_BLOCK_BYTES - head.length - tail.length);
  const text = Buffer.concat([head, value, tail]);
  const length = Math.ceil(text.length / 16);
  const block = Buffer.alloc(1 + length * 16);
  block[0] = length;
  text.copy(block, 1);
  return block;
}

/** The largest block there is (length byte 255): a title of about 4,060 characters. */
function overflowBlock(): Buffer {
  const head = "StreamTitle='";
  const tail = "';";
  const title = 'Overflow '.repeat(MAX_BLOCK_BYTES).slice(0, MAX_BLOCK_BYTES - head.length - tail.length);
  return Buffer.concat([Buffer.from([255]), Buffer.from(`${head}${title}${tail}`, 'latin1')]);
}

function garbage(bytes: number): Buffer {
  const noise = binaryBody();
  const parts: Buffer[] = [];
  for (let left = bytes; left > 0; left -= noise.length) parts.push(left >= noise.length ? noise : noise.subarray(0, left));
  return Buffer.concat(parts);
}

function isUtf8(charset: string | undefined): boolean {
  return charset !== undefined && /^utf-?8$/i.test(charset.trim());
}

/** A header value in the mount's charset, as a latin1 string (one char per byte) for socket.write. */
function headerText(value: string, charset: string | undefined): string {
  const clean = value.replace(/[\r\n]+/g, ' ');
  return (isUtf8(charset) ? Buffer.from(clean, 'utf8') : latin1Bytes(clean)).toString('latin1');
}
