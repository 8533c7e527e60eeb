/**
 * The backplane on Redis, through ioredis (the most used Node client; it reconnects by itself and
 * reloads Lua scripts a restarted Redis has forgotten). Two connections: one for commands, one
 * subscribed to the change channel (a subscribed connection can do nothing else).
 *
 * Every fenced write is one Lua script, so the lease check, the seq check, the stored record and the
 * PUBLISH happen atomically: a change is either stored and sent to every instance, or neither.
 *
 * Commands fail at once while disconnected (no offline queue, nothing re-sent after a reconnect):
 * a write that might have happened is never repeated later by surprise, and nothing piles up in
 * memory during an outage. The caller reconciles from the store when the connection is back.
 */
import { randomUUID } from 'node:crypto';
import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from '../logger.js';
import { parseBackplaneMessage, parseStationRecord } from './backplane-messages.js';
import type {
  Backplane,
  BackplaneEvents,
  BackplaneState,
  ChangeMessage,
  LeaseClaim,
  RemovedMessage,
  StationRecord,
  WriteResult,
} from './backplane.js';

/** Every key and the channel start with this, so one Redis can hold other data too. */
export const KEY_PREFIX = 'now-playing:';

/**
 * The change channel of a database. Keys belong to a database, but PUBLISH reaches every subscriber
 * of the server whatever its database: the number in the name keeps deployments on `/0` and `/1` apart.
 */
export const changeChannel = (db: number) => `${KEY_PREFIX}changes:${db}`;

const keys = {
  epoch: `${KEY_PREFIX}epoch`,
  lease: (upstream: string) => `${KEY_PREFIX}lease:${upstream}`,
  health: (upstream: string) => `${KEY_PREFIX}health:${upstream}`,
  stations: (upstream: string) => `${KEY_PREFIX}stations:${upstream}`,
  /** Station id → `<upstream> <mount>` owning it: no two upstreams ever commit under one id. */
  ids: `${KEY_PREFIX}ids`,
};

/** Who an id belongs to, in the ids hash. */
const ownerOf = (upstream: string, mount: string) => `${upstream} ${mount}`;

/**
 * KEYS: lease, health. ARGV: instance, ttl, health. Take the lease when free, renew it when ours;
 * then store our health beside it (kept three TTLs). Returns {1, holder} or {0, holder, health}.
 */
const CLAIM = `
local holder = redis.call('GET', KEYS[1])
if holder == false then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  holder = ARGV[1]
elseif holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
if holder == ARGV[1] then
  redis.call('SET', KEYS[2], ARGV[3], 'PX', 3 * tonumber(ARGV[2]))
  return {1, holder}
end
return {0, holder, redis.call('GET', KEYS[2]) or ''}
`;

/** KEYS: lease. ARGV: instance. Delete the lease if it is ours. */
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

/**
 * KEYS: lease, stations, ids. ARGV: instance, mount, incarnation, seq, record, channel, message, id,
 * owner. Store and publish only while the lease is ours, the id is not another upstream's, and the
 * stored record (if any) is the same life of the station at seq - 1.
 */
const COMMIT = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 'not-holder' end
local owner = redis.call('HGET', KEYS[3], ARGV[8])
if owner and owner ~= ARGV[9] then return 'conflict' end
local stored = redis.call('HGET', KEYS[2], ARGV[2])
if stored then
  local ok, record = pcall(cjson.decode, stored)
  if ok and type(record) == 'table' and (record.incarnation ~= ARGV[3] or tonumber(record.seq) ~= tonumber(ARGV[4]) - 1) then
    return 'conflict'
  end
end
redis.call('HSET', KEYS[2], ARGV[2], ARGV[5])
redis.call('HSET', KEYS[3], ARGV[8], ARGV[9])
redis.call('PUBLISH', ARGV[6], ARGV[7])
return 'ok'
`;

/** KEYS: lease, stations, ids. ARGV: instance, mount, incarnation, channel, message, id, owner. Delete and publish, fenced. */
const REMOVE = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 'not-holder' end
local stored = redis.call('HGET', KEYS[2], ARGV[2])
if stored then
  local ok, record = pcall(cjson.decode, stored)
  if ok and type(record) == 'table' and record.incarnation ~= ARGV[3] then return 'conflict' end
  redis.call('HDEL', KEYS[2], ARGV[2])
end
if redis.call('HGET', KEYS[3], ARGV[6]) == ARGV[7] then redis.call('HDEL', KEYS[3], ARGV[6]) end
redis.call('PUBLISH', ARGV[4], ARGV[5])
return 'ok'
`;

/**
 * KEYS: stations, ids. ARGV: mount, incarnation, seq, record, id, owner. Store unless the same life is
 * stored at least as far, or the id is another upstream's.
 */
const SEED = `
local owner = redis.call('HGET', KEYS[2], ARGV[5])
if owner and owner ~= ARGV[6] then return 0 end
local stored = redis.call('HGET', KEYS[1], ARGV[1])
if stored then
  local ok, record = pcall(cjson.decode, stored)
  if ok and type(record) == 'table' and (record.incarnation ~= ARGV[2] or tonumber(record.seq) >= tonumber(ARGV[3])) then return 0 end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[4])
redis.call('HSET', KEYS[2], ARGV[5], ARGV[6])
return 1
`;

/** The scripts, as ioredis defines them on a connection (EVALSHA, EVAL when Redis does not know it). */
interface Scripts {
  npClaim(lease: string, health: string, instance: string, ttl: number, healthJson: string): Promise<[number, string, string?]>;
  npRelease(lease: string, instance: string): Promise<number>;
  npCommit(lease: string, stations: string, ids: string, ...args: (string | number)[]): Promise<WriteResult>;
  npRemove(lease: string, stations: string, ids: string, ...args: string[]): Promise<WriteResult>;
  npSeed(stations: string, ids: string, ...args: (string | number)[]): Promise<number>;
}

export interface RedisBackplaneOptions {
  /** `redis://[:password@]host[:port][/db]` or `rediss://…` */
  url: string;
  /** Name shown by `CLIENT LIST`, for operators. */
  connectionName: string;
  /** A command that has no answer within this many ms fails (a lease round must not hang). */
  commandTimeout: number;
  log: Logger;
}

/** Longest wait between reconnection attempts. */
const MAX_RECONNECT_DELAY_MS = 2000;

export class RedisBackplane implements Backplane {
  readonly #commands: Redis & Scripts;
  readonly #subscriber: Redis;
  readonly #log: Logger;
  readonly #channel: string;
  #events: BackplaneEvents | undefined;
  #subscribed = false;
  #state: BackplaneState = 'connecting';
  /** Whether the loss of the connection was logged (one warning per outage). */
  #warned = false;

  constructor(options: RedisBackplaneOptions) {
    this.#log = options.log;
    const common: RedisOptions = {
      lazyConnect: true,
      enableOfflineQueue: false,
      autoResendUnfulfilledCommands: false,
      autoResubscribe: false,
      maxRetriesPerRequest: 0,
      commandTimeout: options.commandTimeout,
      connectTimeout: Math.max(1000, options.commandTimeout),
      // Forever, 100 ms more each time up to 2 s: a Redis that comes back is found within 2 s.
      retryStrategy: (times) => Math.min(times * 100, MAX_RECONNECT_DELAY_MS),
    };
    this.#commands = new Redis(options.url, { ...common, connectionName: options.connectionName }) as Redis & Scripts;
    this.#subscriber = new Redis(options.url, { ...common, connectionName: `${options.connectionName}:sub` });
    this.#channel = changeChannel(this.#commands.options.db ?? 0);
    this.#commands.defineCommand('npClaim', { numberOfKeys: 2, lua: CLAIM });
    this.#commands.defineCommand('npRelease', { numberOfKeys: 1, lua: RELEASE });
    this.#commands.defineCommand('npCommit', { numberOfKeys: 3, lua: COMMIT });
    this.#commands.defineCommand('npRemove', { numberOfKeys: 3, lua: REMOVE });
    this.#commands.defineCommand('npSeed', { numberOfKeys: 2, lua: SEED });
  }

  get state(): BackplaneState {
    return this.#state;
  }

  start(events: BackplaneEvents): void {
    this.#events = events;
    for (const connection of [this.#commands, this.#subscriber]) {
      connection.on('error', (error: Error) => this.#onError(error));
      connection.on('close', () => this.#update());
      connection.on('ready', () => this.#update());
    }
    this.#subscriber.on('close', () => (this.#subscribed = false));
    this.#subscriber.on('ready', () => this.#subscribe());
    this.#subscriber.on('message', (_channel: string, text: string) => this.#onMessage(text));
    // Connection failures are reported through 'error' and retried by ioredis; nothing to await here.
    this.#commands.connect().catch(() => {});
    this.#subscriber.connect().catch(() => {});
  }

  async close(): Promise<void> {
    this.#state = 'closed';
    await Promise.all([this.#commands, this.#subscriber].map((c) => quit(c)));
  }

  async epoch(): Promise<string> {
    // The first instance to ask after Redis lost its data names the new data set.
    await this.#commands.set(keys.epoch, randomUUID(), 'NX');
    const epoch = await this.#commands.get(keys.epoch);
    if (epoch === null) throw new Error('epoch vanished');
    return epoch;
  }

  async load(upstream: string): Promise<StationRecord[]> {
    const stored = await this.#commands.hgetall(keys.stations(upstream));
    const records: StationRecord[] = [];
    for (const [mount, text] of Object.entries(stored)) {
      const record = parseStationRecord(text);
      if (typeof record === 'string' || record.mount !== mount) {
        this.#log.warn({ upstream, mount, problem: typeof record === 'string' ? record : 'mount mismatch' }, 'stored station record ignored');
        continue;
      }
      records.push(record);
    }
    return records;
  }

  async seed(upstream: string, record: StationRecord): Promise<boolean> {
    const { id, mount, incarnation, seq } = record;
    const written = await this.#commands.npSeed(keys.stations(upstream), keys.ids, mount, incarnation, seq, JSON.stringify(record), id, ownerOf(upstream, mount));
    return written === 1;
  }

  commit(upstream: string, instance: string, message: ChangeMessage): Promise<WriteResult> {
    const { record } = message;
    return this.#commands.npCommit(
      keys.lease(upstream),
      keys.stations(upstream),
      keys.ids,
      instance,
      record.mount,
      record.incarnation,
      record.seq,
      JSON.stringify(record),
      this.#channel,
      JSON.stringify(message),
      record.id,
      ownerOf(upstream, record.mount),
    );
  }

  remove(upstream: string, instance: string, message: RemovedMessage): Promise<WriteResult> {
    const { id, mount, incarnation } = message;
    return this.#commands.npRemove(keys.lease(upstream), keys.stations(upstream), keys.ids, instance, mount, incarnation, this.#channel, JSON.stringify(message), id, ownerOf(upstream, mount));
  }

  async claim(upstream: string, instance: string, ttl: number, health: string): Promise<LeaseClaim> {
    const [held, holder, holderHealth] = await this.#commands.npClaim(keys.lease(upstream), keys.health(upstream), instance, ttl, health);
    return held === 1 ? { held: true, holder } : { held: false, holder, ...(holderHealth ? { health: holderHealth } : {}) };
  }

  async release(upstream: string, instance: string): Promise<void> {
    await this.#commands.npRelease(keys.lease(upstream), instance);
  }

  async #subscribe(): Promise<void> {
    try {
      await this.#subscriber.subscribe(this.#channel);
      this.#subscribed = true;
    } catch (error) {
      // The connection dropped again before it subscribed; the next 'ready' tries again.
      this.#log.debug({ err: error }, 'redis subscribe failed');
    }
    this.#update();
  }

  #onMessage(text: string): void {
    const message = parseBackplaneMessage(text);
    if (typeof message === 'string') return this.#log.warn({ problem: message }, 'backplane message ignored');
    this.#events?.message(message);
  }

  /** ioredis reports every failed attempt; one warning per outage is enough (the rest are debug). */
  #onError(error: Error): void {
    if (this.#warned || this.#state !== 'connecting') return this.#log.debug({ err: error }, 'redis error');
    this.#warned = true;
    this.#log.warn({ err: error }, 'redis unreachable: retrying');
  }

  /** Recompute the state from both connections; tell the listener when it changed. */
  #update(): void {
    if (this.#state === 'closed') return;
    const ready = this.#commands.status === 'ready' && this.#subscriber.status === 'ready' && this.#subscribed;
    const next: BackplaneState = ready ? 'ready' : this.#state === 'connecting' ? 'connecting' : 'reconnecting';
    if (next === this.#state) return;
    if (next === 'reconnecting' && !this.#warned) this.#log.warn('redis connection lost: serving the last known state, reconnecting');
    if (next === 'reconnecting') this.#warned = true;
    if (next === 'ready' && this.#warned) this.#log.info('redis available again');
    if (next === 'ready') this.#warned = false;
    this.#state = next;
    this.#events?.state(next);
  }
}

/** QUIT politely (pending replies arrive), but never wait more than a second for a dead server. */
async function quit(connection: Redis): Promise<void> {
  if (connection.status === 'end') return;
  const timer = setTimeout(() => connection.disconnect(), 1000);
  try {
    await connection.quit();
  } catch {
    connection.disconnect();
  } finally {
    clearTimeout(timer);
  }
}
