/**
 * The single place where a change becomes bytes for subscribers, and the fan-out that delivers it.
 *
 * - Serialised once: each message is turned into one Buffer (JSON.stringify and UTF-8 encoding done
 *   once), and that same Buffer is handed to every subscriber.
 * - Sliced: a fan-out to 20,000 sockets takes a few hundred milliseconds of writes. Done in one loop,
 *   it would freeze everything else (health checks, handshakes, other stations) for that long. So the
 *   hub writes for at most `sliceMs`, then yields to the event loop (setImmediate: pending I/O runs
 *   first) and goes on where it stopped.
 * - In order: each station has a queue of fan-outs, served strictly in publish order, so a patch can
 *   never overtake an earlier one for the same subscriber. Stations take turns within a slice, so a
 *   small station is not kept waiting behind a big one.
 * - No repeats: a subscriber knows the `seq` its view is at (its snapshot's); a patch at or below it
 *   is skipped, so a client that connects (or resyncs) during a fan-out gets its snapshot and then
 *   only patches with a higher seq.
 *
 * - Heartbeats wait: they have a lane of their own, served only when no change is being sent, so a
 *   change never queues behind the heartbeat of 20,000 clients (pings need no order with patches).
 *
 * Fan-outs walk the live subscriber set (no copy per message): subscribers that leave are skipped,
 * subscribers that join are reached (and the seq rule decides what they get).
 */
import type { PingMessage, ServerMessage } from '@now-playing/protocol';

/** What the hub needs of a connected client. */
export interface Subscriber {
  /** The station `seq` this subscriber's view is at (set when it is sent a snapshot). */
  seq: number;
  /** Queue a text frame (the subscriber enforces its own send-queue bound). */
  deliver(frame: Buffer | string): void;
  /**
   * A heartbeat step: if `step` (of `steps`) is this subscriber's turn, check it answered its last
   * ping, ping it again and send `frame`; true when it was its turn.
   */
  beat(frame: Buffer, step: number, steps: number): boolean;
  /** Close the connection with a WebSocket close code and reason. */
  dismiss(code: number, reason: string): void;
}

/** Counts of what the hub sent (metrics.ts implements it). */
export interface FanoutObserver {
  sent(type: ServerMessage['type'], messages: number, bytes: number): void;
}

export interface HubOptions {
  /** Longest a fan-out holds the event loop before yielding, in ms. */
  sliceMs?: number;
  /** Subscribers served per turn of a station before the clock is read and the next station's turn. */
  turn?: number;
  observer?: FanoutObserver;
}

/**
 * 5 ms of writes (a few hundred sockets here), then pending I/O runs: a /healthz answer or a
 * handshake waits about that. Yielding costs a few microseconds, so shorter slices cost next to nothing.
 */
export const FANOUT_SLICE_MS = 5;
const FANOUT_TURN = 64;

type Job =
  | { kind: 'deliver'; cursor: Iterator<Subscriber>; frame: Buffer; type: ServerMessage['type']; seq: number | undefined; reset: boolean; sent: number }
  | { kind: 'beat'; cursor: Iterator<Subscriber>; frame: Buffer; step: number; steps: number; sent: number }
  | { kind: 'dismiss'; cursor: Iterator<Subscriber>; code: number; reason: string };

export class Hub {
  readonly #subscribers = new Map<string, Set<Subscriber>>();
  /** Per station, fan-outs not finished yet, oldest first. Only stations with work are present. */
  readonly #queues = new Map<string, Job[]>();
  /** Heartbeat fan-outs not finished yet (one per station per beat), served when #queues is empty. */
  readonly #beats: Job[] = [];
  readonly #sliceMs: number;
  readonly #turn: number;
  readonly #observer: FanoutObserver | undefined;
  #scheduled = false;
  #drained: (() => void)[] = [];

  constructor(options: HubOptions = {}) {
    this.#sliceMs = options.sliceMs ?? FANOUT_SLICE_MS;
    this.#turn = Math.max(1, options.turn ?? FANOUT_TURN);
    this.#observer = options.observer;
  }

  subscribe(stationId: string, subscriber: Subscriber): void {
    let set = this.#subscribers.get(stationId);
    if (!set) this.#subscribers.set(stationId, (set = new Set()));
    set.add(subscriber);
  }

  unsubscribe(stationId: string, subscriber: Subscriber): void {
    const set = this.#subscribers.get(stationId);
    if (!set?.delete(subscriber) || set.size > 0) return;
    this.#subscribers.delete(stationId);
  }

  /**
   * Send one message to every subscriber of a station, after the station's earlier fan-outs. A patch
   * skips subscribers whose view is already at or past its seq. A snapshot reaches every subscriber
   * and each continues from its seq, whatever it had (scale-out sends one when a station's state was
   * rolled back or reloaded).
   */
  publish(stationId: string, message: ServerMessage): void {
    const set = this.#subscribers.get(stationId);
    if (!set) return;
    const frame = Buffer.from(JSON.stringify(message));
    const seq = message.type === 'patch' || message.type === 'snapshot' ? message.seq : undefined;
    const reset = message.type === 'snapshot';
    this.#enqueue(stationId, { kind: 'deliver', cursor: set.values(), frame, type: message.type, seq, reset, sent: 0 });
  }

  /**
   * One step of the heartbeat: the subscribers whose turn `step` is (of `steps`, see Subscriber.beat)
   * are pinged, so a heartbeat period is spread over `steps` smaller fan-outs instead of one burst.
   */
  heartbeat(message: PingMessage, step = 0, steps = 1): void {
    const frame = Buffer.from(JSON.stringify(message));
    for (const set of this.#subscribers.values()) this.#beats.push({ kind: 'beat', cursor: set.values(), frame, step, steps, sent: 0 });
    this.#schedule();
  }

  /** Close every subscriber of a station (it was removed), after what was published to it before. */
  closeStation(stationId: string, code: number, reason: string): void {
    const set = this.#subscribers.get(stationId);
    if (set) this.#enqueue(stationId, { kind: 'dismiss', cursor: set.values(), code, reason });
  }

  /** Subscribers of one station, or of all stations. */
  count(stationId?: string): number {
    if (stationId !== undefined) return this.#subscribers.get(stationId)?.size ?? 0;
    let total = 0;
    for (const set of this.#subscribers.values()) total += set.size;
    return total;
  }

  /** Subscriber counts by station. */
  counts(): IterableIterator<[string, number]> {
    return mapEntries(this.#subscribers, (set) => set.size);
  }

  /** Every subscriber of every station (a snapshot: safe to close them while iterating). */
  all(): Subscriber[] {
    return [...this.#subscribers.values()].flatMap((set) => [...set]);
  }

  /** A fan-out is under way (or queued). */
  get busy(): boolean {
    return this.#queues.size > 0 || this.#beats.length > 0;
  }

  /** Resolves when every fan-out published so far has been delivered. */
  drained(): Promise<void> {
    if (!this.busy) return Promise.resolve();
    return new Promise((resolve) => this.#drained.push(resolve));
  }

  #enqueue(stationId: string, job: Job): void {
    const queue = this.#queues.get(stationId);
    if (queue) queue.push(job);
    else this.#queues.set(stationId, [job]);
    this.#schedule();
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(this.#slice);
  }

  /**
   * One slice: stations take turns (a station with work left goes to the back of the map, and the
   * loop, which visits entries added while it runs, comes round to it again) until every queue is
   * empty or the slice's time is up.
   */
  readonly #slice = (): void => {
    this.#scheduled = false;
    const deadline = performance.now() + this.#sliceMs;
    for (const [stationId, queue] of this.#queues) {
      if (this.#serve(queue[0]!)) queue.shift();
      this.#queues.delete(stationId);
      if (queue.length > 0) this.#queues.set(stationId, queue);
      if (performance.now() >= deadline) return this.#yield();
    }
    // No change to send: the heartbeat's turn, for what is left of the slice.
    while (this.#beats.length > 0) {
      if (this.#serve(this.#beats[0]!)) this.#beats.shift();
      if (performance.now() >= deadline) break;
    }
    this.#yield();
  };

  #yield(): void {
    if (this.busy) return this.#schedule();
    for (const resolve of this.#drained.splice(0)) resolve();
  }

  /** Serve up to one turn of subscribers of `job`; true when the job is done. */
  #serve(job: Job): boolean {
    for (let n = 0; n < this.#turn; n++) {
      const next = job.cursor.next();
      if (next.done) {
        this.#finished(job);
        return true;
      }
      const subscriber = next.value;
      if (job.kind === 'deliver') {
        if (job.seq !== undefined) {
          if (!job.reset && subscriber.seq >= job.seq) continue;
          subscriber.seq = job.seq;
        }
        subscriber.deliver(job.frame);
        job.sent++;
      } else if (job.kind === 'beat') {
        if (subscriber.beat(job.frame, job.step, job.steps)) job.sent++;
      } else subscriber.dismiss(job.code, job.reason);
    }
    return false;
  }

  #finished(job: Job): void {
    if (!this.#observer || job.kind === 'dismiss' || job.sent === 0) return;
    this.#observer.sent(job.kind === 'beat' ? 'ping' : job.type, job.sent, job.sent * job.frame.length);
  }
}

function* mapEntries<K, V, T>(map: Map<K, V>, f: (value: V) => T): IterableIterator<[K, T]> {
  for (const [key, value] of map) yield [key, f(value)];
}
