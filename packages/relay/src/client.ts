/**
 * One connected browser, as the relay sees it: its socket, its address, and the per-client bounds.
 * Every write goes through `send`, which drops a client whose send queue is over the limit (a client
 * that stops reading must not make the relay buffer without end), whatever the write is: a
 * broadcast, a snapshot, a reply. Client messages are metered by a token bucket.
 */
import type { WebSocket } from 'ws';
import type { Logger } from './logger.js';
import { TokenBucket } from './token-bucket.js';

export interface ClientOptions {
  /** A client with more than this many bytes queued is dropped. */
  maxBufferedBytes: number;
  /** Client messages per second (refill) and in a burst (bucket size). */
  messageRate: number;
  messageBurst: number;
  log: Logger;
}

/** How long a closing client may take to answer our close frame before its socket is destroyed. */
export const CLOSE_GRACE_MS = 1000;

export class Client {
  /** Answered the last protocol ping (or sent anything since). */
  alive = true;
  /** Malformed messages so far. */
  badMessages = 0;
  readonly #messages: TokenBucket;
  #closing = false;
  #dropped = false;

  constructor(
    readonly ws: WebSocket,
    readonly address: string,
    readonly stationId: string,
    private readonly options: ClientOptions,
  ) {
    this.#messages = new TokenBucket(options.messageRate, options.messageBurst);
  }

  /** Closed or being closed: nothing more is sent to it or read from it. */
  get closing(): boolean {
    return this.#closing;
  }

  /** Send a text frame, unless the client is closing or too far behind (then it is dropped). */
  send(text: string): void {
    if (this.#closing) return;
    if (this.ws.bufferedAmount > this.options.maxBufferedBytes) {
      this.drop('send queue over the limit');
      return;
    }
    this.ws.send(text);
  }

  /** One more client message: false when it is over the rate limit. */
  takeMessage(): boolean {
    return this.#messages.take();
  }

  /**
   * Close with a code and reason, stop reading its frames, and destroy the socket if the client does
   * not complete the close handshake within CLOSE_GRACE_MS (a client that never reads never will).
   */
  close(code: number, reason: string): void {
    if (this.#closing) return;
    this.#closing = true;
    this.ws.pause();
    this.ws.close(code, reason);
    setTimeout(() => this.ws.terminate(), CLOSE_GRACE_MS).unref();
  }

  /** Destroy the connection at once (it reconnects and resyncs from a snapshot). One log line. */
  drop(reason: string): void {
    if (this.#dropped) return;
    this.#dropped = this.#closing = true;
    this.options.log.debug({ station: this.stationId, address: this.address, reason }, 'client dropped');
    this.ws.terminate();
  }
}
