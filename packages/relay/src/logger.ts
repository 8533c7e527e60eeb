import { pino, type Logger } from 'pino';
import pretty from 'pino-pretty';
import type { LogFormat } from './config.js';

export type { Logger };

/**
 * pino: one JSON line per event, cheap enough to leave on. Per-poll and per-client events are
 * `debug`, so the default `info` level prints only what an operator needs (start, upstream down or
 * back, stations appearing, shutdown).
 *
 * `pretty` (pino-pretty, in this process) is for people reading a terminal; `auto` picks it when
 * stdout is one, so a service manager or a pipe always gets JSON. Both write synchronously to stdout:
 * the CLI exits right after its last line, and nothing may be lost.
 */
export function createLogger(level: string, format: LogFormat = 'json', stdoutIsTty = process.stdout.isTTY === true): Logger {
  const options = { name: 'now-playing-relay', level };
  if (format === 'pretty' || (format === 'auto' && stdoutIsTty)) {
    return pino(options, pretty({ sync: true, colorize: stdoutIsTty, translateTime: 'SYS:standard', ignore: 'pid,hostname' }));
  }
  return pino(options, pino.destination({ dest: 1, sync: true }));
}

/** A logger that writes nothing (the library default: an embedding app passes its own). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
