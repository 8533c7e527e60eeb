#!/usr/bin/env node
/**
 * `now-playing-relay`: run the relay until SIGTERM/SIGINT, then shut down gracefully and exit 0.
 * stdout carries only log lines (JSON, or pretty when asked), the startup line included; stderr only a
 * usage error (exit 2) or a failure to start (exit 1), one line each.
 */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { missingBundleFiles } from './bundles.js';
import { parseCli, USAGE } from './cli-args.js';
import { ConfigError } from './config.js';
import { createLogger, type Logger } from './logger.js';
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
  const log = createLogger(config.logLevel, config.logFormat);
  // `--bundle` was checked by parseCli (exit 2 when it lacks a bundle); the installed element's
  // bundles are only looked for, and their absence is one warning, not a reason not to relay.
  const bundleDir = config.bundleDir ?? installedElementBundles(log);
  const relay = createRelay({ ...request.options, ...(bundleDir ? { bundleDir } : {}) }, { logger: log });
  try {
    await relay.start(); // logs the startup line: "relay listening", with url, websocket and bundles
  } catch (error) {
    const message = `cannot listen on ${config.host} port ${config.port}: ${(error as Error).message}`;
    log.fatal({ err: error, host: config.host, port: config.port }, message);
    process.stderr.write(`now-playing-relay: ${message}\n`);
    return 1;
  }

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

/**
 * The installed @now-playing/element's bundle folder (`dist/bundle`), found as Node finds packages
 * but without importing it (its exports may not name the folder, and a source checkout may not have
 * built it yet). Undefined, after one warning, when it is not there: then the bundle paths answer a
 * 404 that says this relay serves no bundle.
 */
function installedElementBundles(log: Logger): string | undefined {
  const packageDir = (require.resolve.paths('@now-playing/element') ?? [])
    .map((modules) => join(modules, '@now-playing', 'element'))
    .find((dir) => existsSync(join(dir, 'package.json')));
  if (packageDir === undefined) {
    log.warn('@now-playing/element is not installed: /now-playing.js is not served (give --bundle <dir>)');
    return undefined;
  }
  const bundleDir = join(packageDir, 'dist', 'bundle');
  const missing = missingBundleFiles(bundleDir);
  if (missing.length > 0) {
    // Only a source checkout gets here: the published package always holds its bundles.
    log.warn({ bundleDir, missing }, 'the element bundles are not built (in a source checkout: pnpm build): /now-playing.js is not served');
    return undefined;
  }
  return bundleDir;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`now-playing-relay: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);
