/**
 * An element's subscription to the page's shared connection for its `src` and `station`, as every
 * element of this package makes it: the default `src` of the relay-served bundles, one console error
 * for a missing or invalid `src` (shown as `offline` with that reason), and a new subscription only
 * when `src` or `station` changed.
 */
import { acquireConnection, type ConnectionListener, type OfflineReason } from './connection.js';
import { defaultSrc } from './socket-url.js';

export class StationSubscription {
  readonly #listener: ConnectionListener;
  #key: string | undefined;
  /** Unsubscribes and releases the connection. */
  #release: (() => void) | undefined;

  constructor(listener: ConnectionListener) {
    this.#listener = listener;
  }

  /** Subscribe `element` to `src` + `station` (a no-op when they are what it is subscribed to). */
  sync(element: HTMLElement, src: string | undefined, station: string | undefined): void {
    if (!element.isConnected) return;
    src ||= defaultSrc;
    const key = [src, station].join('\n');
    if (key === this.#key) return;
    this.drop();
    this.#key = key;
    const cannotConnect = (reason: OfflineReason, message: string) => {
      console.error(`${element.localName}: ${message}`, element);
      this.#listener({ status: 'offline', reason });
    };
    if (!src) return cannotConnect('no-src', 'the src attribute is missing (the relay, wss://…/ws)');
    let connection;
    try {
      connection = acquireConnection(src, station || undefined);
    } catch (error) {
      return cannotConnect('invalid-src', `${(error as Error).message}: ${src}`);
    }
    const unsubscribe = connection.subscribe(this.#listener);
    this.#release = () => {
      unsubscribe();
      connection.release();
    };
  }

  /** Unsubscribe and release the connection (the next `sync` subscribes again). */
  drop(): void {
    this.#release?.();
    this.#release = this.#key = undefined;
  }
}
