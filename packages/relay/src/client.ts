/**
 * One connected browser, as the relay sees it. It *is* the socket: `ws` builds this subclass for
 * every connection (its public `WebSocket` option), so a client costs a few fields on an object
 * that exists anyway. Its events are handled in `emit` itself rather than by listeners: no closure
 * and no listener table per connection (there are tens of thousands; measured in bench/fanout.ts).
 *
 * Every write goes through `deliver`, which drops a client whose send queue is over the limit (a
 * client that stops reading must not make the relay buffer without end), whatever the write is: a
 * broadcast, a snapshot, a reply. Client messages (and protocol pings) are metered by a token bucket.
 */
import { WebSocket } from 'ws';
import type { Logger } from './logger.js';
import type { Subscriber } from './hub.js';
import { TokenBucket } from './token-bucket.js';

/** What every client of one endpoint shares: its limits, its log, and where its events go. */
export interface ClientContext {
  /** A client with more than this many bytes queued is dropped. */
  maxBufferedBytes: number;
  /** Client messages per second (refill) and in a burst (bucket size). */
  messageRate: number;
  messageBurst: number;
  log: Logger;
  /** A text frame from the client (binary frames arrive as `undefined`). */
  message(client: Client, text: string | undefined): void;
  /** A client message or protocol ping over the rate limit. */
  overRate(client: Client): void;
  /** A socket error (the connection closes after it). */
  error(client: Client, error: Error): void;
  /** The connection has closed (whoever closed it). */
  closed(client: Client): void;
  /** The client was dropped (send queue over the limit, missed heartbeat). */
  dropped?(client: Client, reason: string): void;
}

/** How long a closing client may take to answer our close frame before its socket is destroyed. */
export const CLOSE_GRACE_MS = 1000;

/** Text frames; an object shared by every send (ws copies its options). */
const TEXT = { binary: false } as const;

// `#flags` (one field, not five): the state in bits 0–2, the heartbeat phase in bits 3–6, the count of
// malformed messages from bit 7.
const CLOSING = 1;
const DROPPED = 2;
const SILENT = 4; // has not answered the last protocol ping (nor sent anything since)
const STATE = CLOSING | DROPPED;
const PHASE_SHIFT = 3;
/** Heartbeat phases: a heartbeat period is spread over up to this many steps (a power of two). */
export const HEARTBEAT_PHASES = 16;
const BAD_MESSAGE = 1 << 7;

/** Phases are handed out in turn, so every step of a heartbeat has its share of the clients. */
let nextPhase = 0;

export class Client extends WebSocket implements Subscriber {
  /**
   * The client's address, set by the endpoint on arrival when something needs it (the per-address
   * limit, debug logs); else empty, so the socket's peer address is never looked up (and cached on it).
   */
  address = '';
  /** The station it watches; set by `admit`. */
  stationId = '';
  /** The station seq its view is at (see Subscriber). */
  seq = 0;
  #flags = 0;
  #context: ClientContext | undefined;
  /** Created at the first client message: most clients never send one. */
  #messages: TokenBucket | undefined;

  /** Arrived at the endpoint: its events go to `context` from now on (frames only once admitted). */
  arrive(context: ClientContext, address: string): void {
    this.#context = context;
    this.address = address;
    this.#flags |= nextPhase << PHASE_SHIFT;
    nextPhase = (nextPhase + 1) % HEARTBEAT_PHASES;
  }

  /** Accepted for a station: its frames are read from now on. */
  admit(stationId: string): void {
    this.stationId = stationId;
  }

  /**
   * ws tells everything through `emit`; the relay's handling happens here, and listeners added with
   * `on`/`once` (the endpoint waits for 'close' when refusing or shutting down) still hear every event.
   */
  override emit(event: string | symbol, ...args: unknown[]): boolean {
    const context = this.#context;
    if (context) {
      const admitted = this.stationId !== '';
      switch (event) {
        case 'message':
          if (admitted && !this.closing) context.message(this, args[1] === true ? undefined : String(args[0]));
          break;
        case 'ping':
          // Answered here (ws's autoPong is off), within the message rate limit.
          if (!admitted || this.closing) break;
          this.alive = true;
          if (this.takeMessage()) this.pong(args[0] as Buffer);
          else context.overRate(this);
          break;
        case 'pong':
          this.alive = true;
          break;
        case 'close':
          if (admitted) context.closed(this);
          break;
        case 'error':
          context.error(this, args[0] as Error);
          if (this.listenerCount('error') === 0) return true; // handled: not an uncaught 'error'
          break;
      }
    }
    return super.emit(event, ...args);
  }

  /** Closed or being closed: nothing more is sent to it or read from it. */
  get closing(): boolean {
    return (this.#flags & STATE) !== 0;
  }

  /** Answered the last protocol ping (or sent anything since). */
  get alive(): boolean {
    return (this.#flags & SILENT) === 0;
  }

  set alive(alive: boolean) {
    this.#flags = alive ? this.#flags & ~SILENT : this.#flags | SILENT;
  }

  /** One more malformed message; returns how many so far. */
  badMessage(): number {
    this.#flags += BAD_MESSAGE;
    return this.#flags >> 7;
  }

  /** Send a text frame, unless the client is closing or too far behind (then it is dropped). */
  deliver(frame: Buffer | string): void {
    if (this.closing) return;
    if (this.bufferedAmount > this.#context!.maxBufferedBytes) return this.drop('send queue over the limit');
    this.send(frame, TEXT);
  }

  /**
   * A heartbeat step (`steps` a power of two up to HEARTBEAT_PHASES): on this client's turn, a client
   * that did not answer the previous protocol ping is dropped, else pinged again and sent `frame`.
   */
  beat(frame: Buffer, step: number, steps: number): boolean {
    if (((this.#flags >> PHASE_SHIFT) & (steps - 1)) !== step) return false;
    if (this.closing) return true;
    if (!this.alive) {
      this.drop('missed a heartbeat');
      return true;
    }
    this.alive = false;
    this.ping();
    this.deliver(frame);
    return true;
  }

  /** One more client message: false when it is over the rate limit. */
  takeMessage(): boolean {
    const context = this.#context!;
    this.#messages ??= new TokenBucket(context.messageRate, context.messageBurst);
    return this.#messages.take();
  }

  /**
   * Close with a code and reason, stop reading its frames, and destroy the socket if the client does
   * not complete the close handshake within CLOSE_GRACE_MS (a client that never reads never will).
   */
  dismiss(code: number, reason: string): void {
    if (this.closing) return;
    this.#flags |= CLOSING;
    this.pause();
    this.close(code, reason);
    setTimeout(terminate, CLOSE_GRACE_MS, this).unref();
  }

  /** Destroy the connection at once (it reconnects and resyncs from a snapshot). One log line. */
  drop(reason: string): void {
    if (this.#flags & DROPPED) return;
    this.#flags |= DROPPED;
    const context = this.#context;
    context?.log.debug({ station: this.stationId, address: this.address, reason }, 'client dropped');
    context?.dropped?.(this, reason);
    this.terminate();
  }

}

function terminate(client: Client): void {
  client.terminate();
}
