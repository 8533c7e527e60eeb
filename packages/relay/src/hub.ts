/**
 * The single place where a change becomes bytes for subscribers. Each message is serialised once
 * and the same string is handed to every subscriber (JSON.stringify inside the send loop measurably
 * slows fan-out). The per-client bounds (send queue, rate) live with the client (client.ts). Today
 * subscribers are in this process; a Redis backplane later sits behind `publish` without the
 * stations or the server noticing.
 */
import type { ServerMessage } from '@now-playing/protocol';

/** What the hub needs of a connected client. */
export interface Subscriber {
  /** Queue a text frame (the subscriber enforces its own send-queue bound). */
  send(text: string): void;
  /** Close the connection with a WebSocket close code and reason. */
  close(code: number, reason: string): void;
}

export class Hub {
  readonly #subscribers = new Map<string, Set<Subscriber>>();

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
    if (!set) return;
    const text = JSON.stringify(message);
    for (const subscriber of set) subscriber.send(text);
  }

  /** Send one message to every subscriber of every station (the application heartbeat). */
  broadcast(message: ServerMessage): void {
    const text = JSON.stringify(message);
    for (const set of this.#subscribers.values()) for (const subscriber of set) subscriber.send(text);
  }

  /** Close every subscriber of a station (it was removed); they unsubscribe as they close. */
  closeStation(stationId: string, code: number, reason: string): void {
    for (const subscriber of [...(this.#subscribers.get(stationId) ?? [])]) subscriber.close(code, reason);
  }

  /** Subscribers of one station, or of all stations. */
  count(stationId?: string): number {
    if (stationId !== undefined) return this.#subscribers.get(stationId)?.size ?? 0;
    let total = 0;
    for (const set of this.#subscribers.values()) total += set.size;
    return total;
  }
}
