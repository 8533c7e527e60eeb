import { describe, expect, it } from 'vitest';
import { parseCli, USAGE } from '../src/cli-args.js';
import { DEFAULTS } from '../src/config.js';

const run = (argv: string[], env: Record<string, string> = {}) => {
  const request = parseCli(argv, env);
  if (request.kind !== 'run') throw new Error(`expected run, got ${request.kind}`);
  return request.config;
};

describe('parseCli', () => {
  it('applies defaults and resolves an Icecast base URL to its status URL', () => {
    const config = run(['--upstream', 'http://icecast:8000']);
    expect(config.upstreams).toEqual(['http://icecast:8000/status-json.xsl']);
    expect(config).toMatchObject({ port: DEFAULTS.port, host: '::', pollInterval: 1000, heartbeat: 15000 });
  });

  it('keeps a full status URL and accepts several upstreams', () => {
    const config = run(['--upstream', 'https://a.example/status-json.xsl', '--upstream', 'http://b.example:8000/radio/']);
    expect(config.upstreams).toEqual(['https://a.example/status-json.xsl', 'http://b.example:8000/radio/status-json.xsl']);
  });

  it('polls an upstream given twice (even spelled differently) once', () => {
    const config = run(['--upstream', 'http://a:8000', '--upstream', 'http://a:8000/', '--upstream', 'http://a:8000/status-json.xsl']);
    expect(config.upstreams).toEqual(['http://a:8000/status-json.xsl']);
  });

  it('reads every numeric flag', () => {
    const config = run(['--upstream=http://h', '--port', '9000', '--host', '127.0.0.1', '--poll-interval', '2000', '--heartbeat', '5000', '--timeout', '3000', '--history', '5']);
    expect(config).toMatchObject({ port: 9000, host: '127.0.0.1', pollInterval: 2000, heartbeat: 5000, requestTimeout: 3000, historyLength: 5 });
  });

  it('reads environment variables; flags win', () => {
    const env = { NOW_PLAYING_UPSTREAM: 'http://a:8000, http://b:8000', NOW_PLAYING_PORT: '7000', NOW_PLAYING_LOG_LEVEL: 'debug' };
    expect(run([], env)).toMatchObject({ port: 7000, logLevel: 'debug', upstreams: ['http://a:8000/status-json.xsl', 'http://b:8000/status-json.xsl'] });
    expect(run(['--port', '7001'], env).port).toBe(7001);
  });

  it('help and version', () => {
    expect(parseCli(['--help'])).toEqual({ kind: 'help' });
    expect(parseCli(['--version'])).toEqual({ kind: 'version' });
    for (const flag of ['--upstream', '--port', '--poll-interval', '--heartbeat', 'NOW_PLAYING_UPSTREAM']) expect(USAGE).toContain(flag);
  });

  it.each([
    [['--upstream', 'http://h', '--port', 'abc'], /--port: expected a whole number from 0 to 65535, got "abc"/],
    [['--upstream', 'http://h', '--port', '70000'], /--port: .*70000/],
    [['--upstream', 'http://h', '--poll-interval', '10'], /--poll-interval: .*from 100/],
    [['--upstream', 'http://h', '--heartbeat', '1.5'], /--heartbeat/],
    [['--upstream', 'not a url'], /--upstream: "not a url" is not a URL/],
    [['--upstream', 'ftp://h'], /--upstream: "ftp:\/\/h" must start with http/],
    [[], /--upstream: at least one upstream is required/],
    [['--upstream', 'http://h', '--prot', '1'], /Unknown option '--prot'/],
    [['--upstream'], /--upstream/],
    [['--upstream', 'http://h', '--log-level', 'loud'], /--log-level: expected one of/],
    [['--upstream', 'http://h', 'extra'], /extra/],
  ])('rejects %j naming the problem', (argv, message) => {
    expect(() => parseCli(argv as string[])).toThrow(message);
  });

  it('names the environment variable when the bad value came from it', () => {
    expect(() => parseCli(['--upstream', 'http://h'], { NOW_PLAYING_PORT: 'eighty' })).toThrow(/NOW_PLAYING_PORT: .*"eighty"/);
  });
});
