#!/usr/bin/env node
import { parseCliArgs, USAGE, UsageError, type CliOptions } from './cli-args.js';
import { startFakeIcecast } from './server.js';
import type { MountState } from './mount-state.js';

let options: CliOptions;
try {
  options = parseCliArgs(process.argv.slice(2));
} catch (error) {
  if (!(error instanceof UsageError)) throw error;
  process.stderr.write(`fake-icecast: ${error.message}\nTry 'fake-icecast --help'.\n`);
  process.exit(2);
}

if (options.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}

const mounts: Record<string, MountState> = {};
options.mounts.forEach((mount, i) => {
  mounts[mount] = i === 0 && options.title !== undefined ? { title: options.title } : {};
});

try {
  const fake = await startFakeIcecast({
    host: options.host,
    port: options.port,
    mounts,
    server: options.server,
    icyStatusLine: options.icyStatusLine,
    ...(options.metaint === undefined ? {} : { metaint: options.metaint }),
  });
  process.stdout.write(`fake-icecast listening on ${fake.url} (${options.server === 'icecast' ? '' : `${options.server}; `}mounts: ${options.mounts.join(', ')})\n`);
  const stop = (): void => {
    fake.close().then(() => process.exit(0), () => process.exit(1));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
} catch (error) {
  process.stderr.write(`fake-icecast: cannot listen on ${options.host}:${options.port}: ${(error as Error).message}\n`);
  process.exit(1);
}
