/**
 * The single place where a change becomes bytes for subscribers. Each message is serialised once
 * and the same string is handed to every subscriber (JSON.stringify inside the send loop measurably
 * slows fan-out). Today subscribers are in this process; a Redis backplane later sits behind
 * `publish` without the stations or the server noticing.
 */
import type { ServerMessage } from '@now-playing/protocol';

/** What the hub needs of a connected client (a `ws` WebSocket wrapped by the server). */
export interface Subscriber {
  send(text: string): void;
  /** Bytes queued but not yet written to the socket. */
  readonly bufferedAmount: number;
  /** Drop a client that cannot keep up; it reconnects and resyncs from a snapshot. */
  drop(reason: string): void;
}

export interface HubOptions {
  /** A subscriber with more than this many bytes queued is dropped instead of buffering without end. */
  maxBufferedBytes: number;
  onDrop?: (stationId: string, reason: string) => void;
}

export class Hub {
  readonly #subscribers = new Map<string, Set<Subscriber>>();

  constructor(private readonly options: HubOptions) {}

  subscribe(stationId: string, subscriber: Subscriber): () => void {
    let set = this.#subscribers.get(stationId);
    if (!set) this.#subscribers.set(stationId, (set = new Set()));
    set.add(subscriber);
    return () => {
      set.delete(subscriber);
      if (set.size === 0 && this.#subscribers.get(stationId) === set) this.#subscribers.delete(stationId);
    };
  }

  /** Send one message to every subscriber of a station. */
  publish(stationId: string, message: ServerMessage): void {
    const set = this.#subscribers.get(stationId);
    if (set) this.#fanOut(stationId, set, JSON.stringify(message));
  }

  /** Send one message to every subscriber of every station (the application heartbeat). */
  broadcast(message: ServerMessage): void {
    const text = JSON.stringify(message);
    for (const [stationId, set] of this.#subscribers) this.#fanOut(stationId, set, text);
  }

  /** Subscribers of one station, or of all stations. */
  count(stationId?: string): number {
    if (stationId !== undefined) return this.#subscribers.get(stationId)?.size ?? 0;
    let total = 0;
    for (const set of this.#subscribers.values()) total += set.size;
    return total;
  }

  #fanOut(stationId: string, set: Set<Subscriber>, text: string): void {
    for (const subscriber of set) {
      if (subscriber.bufferedAmount > this.options.maxBufferedBytes) {
        const reason = 'client too slow';
        subscriber.drop(reason);
        this.options.onDrop?.(stationId, reason);
        continue;
      }
      subscriber.send(text);
    }
  }
}
