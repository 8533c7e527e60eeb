/** Command-line parsing for `fake-icecast`, apart from cli.ts so it can be tested without starting anything. */
import { parseArgs } from 'node:util';

export interface CliOptions {
  help: boolean;
  port: number;
  host: string;
  /** Normalised mount names (`/live`), in the order given. */
  mounts: string[];
  /** Initial title of the first mount. */
  title?: string;
}

/** A bad command line; the message names the flag and is meant for the user. */
export class UsageError extends Error {}

export const USAGE = `Usage: fake-icecast [options]

A controllable Icecast 2.4.4 look-alike: GET /status-json.xsl, /admin/metadata, and a JSON control API under /control/.

Options:
  --port <n>      port to listen on, 0 for any free port (default 8000)
  --host <addr>   address to listen on (default 127.0.0.1)
  --mount <path>  a mount on air, repeatable (default /live)
  --title <text>  initial title of the first mount
  --help          show this help
`;

export function parseCliArgs(argv: readonly string[]): CliOptions {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        mount: { type: 'string', multiple: true },
        title: { type: 'string' },
        help: { type: 'boolean' },
      },
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }

  const port = values.port ?? '8000';
  if (!/^\d{1,5}$/.test(port) || Number(port) > 65535) {
    throw new UsageError(`--port must be an integer from 0 to 65535, got ${JSON.stringify(port)}`);
  }
  const host = values.host ?? '127.0.0.1';
  if (host === '') throw new UsageError('--host must not be empty');
  const mounts: string[] = [];
  for (const mount of values.mount ?? ['/live']) {
    const name = mount.startsWith('/') ? mount : `/${mount}`;
    if (name === '/') throw new UsageError(`--mount must be a mount path like /live, got ${JSON.stringify(mount)}`);
    if (mounts.includes(name)) throw new UsageError(`--mount ${name} is given twice`);
    mounts.push(name);
  }
  const options: CliOptions = { help: values.help ?? false, port: Number(port), host, mounts };
  if (values.title !== undefined) options.title = values.title;
  return options;
}
