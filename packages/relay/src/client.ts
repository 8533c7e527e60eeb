/**
 * One connected browser, as the relay sees it. It *is* the socket: `ws` builds this subclass for
 * every connection (its public `WebSocket` option), so a client costs a few fields on an object
 * that exists anyway, and its event handlers are shared functions (`this` is the client), not
 * closures per connection. Per-connection state is small because there are tens of thousands.
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
  /** The connection has closed (whoever closed it). */
  closed(client: Client): void;
  /** The client was dropped (send queue over the limit, missed heartbeat). */
  dropped?(client: Client, reason: string): void;
}

/** How long a closing client may take to answer our close frame before its socket is destroyed. */
export const CLOSE_GRACE_MS = 1000;

/** Text frames; an object shared by every send (ws copies its options). */
const TEXT = { binary: false } as const;

// `#flags`: the state in the low bits, the count of malformed messages above them (one field, not four).
const CLOSING = 1;
const DROPPED = 2;
const SILENT = 4; // has not answered the last protocol ping (nor sent anything since)
const STATE = CLOSING | DROPPED;
const BAD_MESSAGE = 8;

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

  /** Accepted for a station: start listening to the client. */
  admit(context: ClientContext, stationId: string): void {
    this.#context = context;
    this.stationId = stationId;
    this.on('message', onMessage).on('ping', onPing).on('pong', onPong).on('close', onClose);
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
    return this.#flags >> 3;
  }

  /** Send a text frame, unless the client is closing or too far behind (then it is dropped). */
  deliver(frame: Buffer | string): void {
    if (this.closing) return;
    if (this.bufferedAmount > this.#context!.maxBufferedBytes) return this.drop('send queue over the limit');
    this.send(frame, TEXT);
  }

  /** Heartbeat: a client that did not answer the previous protocol ping is dropped; else ping it again. */
  beat(frame: Buffer): void {
    if (this.closing) return;
    if (!this.alive) return this.drop('missed a heartbeat');
    this.alive = false;
    this.ping();
    this.deliver(frame);
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

  /** The endpoint's context (undefined until admitted). */
  get context(): ClientContext | undefined {
    return this.#context;
  }
}

// Shared handlers: `this` is the client the event is for (ws calls listeners on the socket).

function onMessage(this: WebSocket, data: Buffer, isBinary: boolean): void {
  const client = this as Client;
  client.context!.message(client, isBinary ? undefined : data.toString());
}

/** Protocol pings are answered here (ws's autoPong is off), and count against the message rate. */
function onPing(this: WebSocket, data: Buffer): void {
  const client = this as Client;
  if (client.closing) return;
  client.alive = true;
  if (!client.takeMessage()) return client.context!.overRate(client);
  client.pong(data);
}

function onPong(this: WebSocket): void {
  (this as Client).alive = true;
}

function onClose(this: WebSocket): void {
  const client = this as Client;
  client.context!.closed(client);
}

function terminate(client: Client): void {
  client.terminate();
}
