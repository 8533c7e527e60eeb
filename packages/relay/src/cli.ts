#!/usr/bin/env node
/** `now-playing-relay`: run the relay until SIGTERM/SIGINT, then shut down gracefully and exit 0. */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseCli, USAGE } from './cli-args.js';
import { ConfigError } from './config.js';
import { createLogger } from './logger.js';
import { createRelay } from './relay.js';

const require = createRequire(import.meta.url);
const { version } = require('../package.json') as { version: string };

async function main(): Promise<number> {
  let request;
  try {
    request = parseCli(process.argv.slice(2), process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`now-playing-relay: ${error.message}\nRun now-playing-relay --help for usage.\n`);
    return 2;
  }
  if (request.kind === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  if (request.kind === 'version') {
    process.stdout.write(`${version}\n`);
    return 0;
  }

  const { config } = request;
  const bundleDir = config.bundleDir ?? findElementBundles();
  const log = createLogger(config.logLevel);
  const relay = createRelay({ ...request.options, ...(bundleDir ? { bundleDir } : {}) }, { logger: log });
  try {
    await relay.start();
  } catch (error) {
    log.fatal({ err: error }, 'relay failed to start');
    process.stderr.write(`now-playing-relay: cannot listen on ${config.host} port ${config.port}: ${(error as Error).message}\n`);
    return 1;
  }
  process.stdout.write(`now-playing-relay listening on ${relay.url} (WebSocket ${relay.url.replace(/^http/, 'ws')}/ws)\n`);

  await new Promise<void>((resolve) => {
    const shutdown = (signal: string) => {
      log.info({ signal }, 'shutting down');
      resolve();
    };
    process.once('SIGTERM', () => shutdown('SIGTERM'));
    process.once('SIGINT', () => shutdown('SIGINT'));
    // Daemons are sent SIGHUP to reopen their logs; ours go to stdout, so there is nothing to reopen.
    // Node's default for SIGHUP is to exit without closing anyone: say so and keep serving instead.
    process.on('SIGHUP', () => log.info({ signal: 'SIGHUP' }, 'SIGHUP ignored: logs go to stdout, nothing to reopen'));
  });
  // Never hang on the way out: a stuck upstream or client gets a few seconds, then we exit anyway.
  const force = setTimeout(() => process.exit(0), 5000);
  force.unref();
  await relay.stop(2000);
  return 0;
}

/** The folder of the element's self-contained bundles, from the installed @now-playing/element. */
function findElementBundles(): string | undefined {
  try {
    const path = require.resolve('@now-playing/element/now-playing.js');
    return existsSync(path) ? dirname(path) : undefined;
  } catch {
    return undefined;
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`now-playing-relay: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);
