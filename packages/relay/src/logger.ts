import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * pino: one JSON line per event, cheap enough to leave on. Per-poll and per-client events are
 * `debug`, so the default `info` level prints only what an operator needs (start, upstream down or
 * back, stations appearing, shutdown).
 */
export function createLogger(level: string): Logger {
  return pino({ name: 'now-playing-relay', level });
}

/** A logger that writes nothing (the library default: an embedding app passes its own). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
