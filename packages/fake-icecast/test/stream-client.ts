/**
 * A raw-socket stream listener for the fake's tests: sends a request, splits the answer into head,
 * audio and metadata blocks (its own small demuxer: the fake's package imports nothing of ours), and
 * lets a test wait for what it expects, within a deadline.
 */
import { connect, type Socket } from 'node:net';
import { afterEach } from 'vitest';

const open: Socket[] = [];
afterEach(() => {
  for (const socket of open.splice(0)) socket.destroy();
});

export interface Block {
  /** The length byte. */
  lengthByte: number;
  /** The block's bytes, NUL padding included. */
  bytes: Buffer;
  /** Audio bytes received before this block, since the head. */
  afterAudio: number;
}

export class StreamClient {
  readonly socket: Socket;
  head = '';
  headBytes = Buffer.alloc(0);
  /** Every byte after the head. */
  body: Buffer[] = [];
  bodyBytes = 0;
  blocks: Block[] = [];
  audioBytes = 0;
  ended = false;
  #buffer = Buffer.alloc(0);
  #metaint: number | undefined;
  #untilBlock = 0;
  #block: { length: number; parts: Buffer[]; got: number; lengthByte: number } | undefined;
  #waiters = new Set<() => void>();

  constructor(url: string, headers: Record<string, string> = {}) {
    const { hostname, port, pathname, search } = new URL(url);
    this.socket = connect({ host: hostname, port: Number(port) });
    open.push(this.socket);
    const lines = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('');
    this.socket.write(`GET ${pathname}${search} HTTP/1.0\r\nHost: ${hostname}\r\n${lines}\r\n`);
    this.socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    this.socket.on('error', () => {});
    this.socket.on('close', () => {
      this.ended = true;
      this.#wake();
    });
  }

  /** The head's lines after the status line, as [name, value] (value as sent, one char per byte). */
  headers(): [string, string][] {
    return this.head
      .split('\r\n')
      .slice(1)
      .filter(Boolean)
      .map((line) => {
        const colon = line.indexOf(':');
        return [line.slice(0, colon), line.slice(colon + 1).trim()];
      });
  }

  header(name: string): string | undefined {
    return this.headers().find(([n]) => n.toLowerCase() === name.toLowerCase())?.[1];
  }

  /** Wait until `check()` holds, at most `timeout` ms: checked on every event of this stream, and every 20 ms. */
  async until(check: () => boolean, timeout = 5000, what = 'condition'): Promise<void> {
    const deadline = Date.now() + timeout;
    while (!check()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 20));
        this.#waiters.add(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** The text of each full block so far (NUL padding removed), as Latin-1 or UTF-8. */
  titles(encoding: BufferEncoding = 'latin1'): string[] {
    return this.blocks.filter((b) => b.lengthByte > 0).map((b) => b.bytes.toString(encoding).replace(/\0+$/, ''));
  }

  close(): void {
    this.socket.destroy();
  }

  #onData(chunk: Buffer): void {
    if (!this.head) {
      this.#buffer = Buffer.concat([this.#buffer, chunk]);
      const end = this.#buffer.indexOf('\r\n\r\n');
      if (end < 0) return;
      this.headBytes = this.#buffer.subarray(0, end);
      this.head = this.headBytes.toString('latin1');
      const metaint = this.header('icy-metaint');
      this.#metaint = metaint === undefined ? undefined : Number(metaint);
      this.#untilBlock = this.#metaint ?? Infinity;
      chunk = this.#buffer.subarray(end + 4);
    }
    this.body.push(chunk);
    this.bodyBytes += chunk.length;
    this.#demux(chunk);
    this.#wake();
  }

  #demux(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length) {
      if (this.#block) {
        const take = Math.min(this.#block.length - this.#block.got, chunk.length - at);
        this.#block.parts.push(chunk.subarray(at, at + take));
        this.#block.got += take;
        at += take;
        if (this.#block.got === this.#block.length) {
          this.blocks.push({ lengthByte: this.#block.lengthByte, bytes: Buffer.concat(this.#block.parts), afterAudio: this.audioBytes });
          this.#block = undefined;
          this.#untilBlock = this.#metaint!;
        }
      } else if (this.#untilBlock > 0) {
        const skip = Math.min(this.#untilBlock, chunk.length - at);
        this.#untilBlock -= skip;
        this.audioBytes += skip;
        at += skip;
      } else {
        const lengthByte = chunk[at++]!;
        if (lengthByte === 0) {
          this.blocks.push({ lengthByte, bytes: Buffer.alloc(0), afterAudio: this.audioBytes });
          this.#untilBlock = this.#metaint!;
        } else this.#block = { length: lengthByte * 16, parts: [], got: 0, lengthByte };
      }
    }
  }

  #wake(): void {
    for (const wake of [...this.#waiters]) wake();
    this.#waiters.clear();
  }
}
