import { describe, expect, it } from 'vitest';
import { parseCli, USAGE } from '../src/cli-args.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULTS, defaultMaxConnections } from '../src/config.js';

const run = (argv: string[], env: Record<string, string> = {}) => {
  const request = parseCli(argv, env);
  if (request.kind !== 'run') throw new Error(`expected run, got ${request.kind}`);
  return request.config;
};

describe('parseCli', () => {
  it('applies defaults and resolves an Icecast base URL to its status URL', () => {
    const config = run(['--upstream', 'http://icecast:8000']);
    expect(config.upstreams.map((u) => u.url)).toEqual(['http://icecast:8000/status-json.xsl']);
    expect(config).toMatchObject({ port: DEFAULTS.port, host: '::', pollInterval: 1000, heartbeat: 15000 });
  });

  it('keeps a full status URL and accepts several upstreams', () => {
    const config = run(['--upstream', 'https://a.example/status-json.xsl', '--upstream', 'http://b.example:8000/radio/']);
    expect(config.upstreams.map((u) => u.url)).toEqual(['https://a.example/status-json.xsl', 'http://b.example:8000/radio/status-json.xsl']);
  });

  it('polls an upstream given twice (even spelled differently) once', () => {
    const config = run(['--upstream', 'http://a:8000', '--upstream', 'http://a:8000/', '--upstream', 'http://a:8000/status-json.xsl']);
    expect(config.upstreams.map((u) => u.url)).toEqual(['http://a:8000/status-json.xsl']);
  });

  it('reads every numeric flag', () => {
    const config = run(['--upstream=http://h', '--port', '9000', '--host', '127.0.0.1', '--poll-interval', '2000', '--heartbeat', '5000', '--timeout', '3000', '--history', '5']);
    expect(config).toMatchObject({ port: 9000, host: '127.0.0.1', pollInterval: 2000, heartbeat: 5000, requestTimeout: 3000, historyLength: 5 });
  });

  it('reads environment variables; flags win', () => {
    const env = { NOW_PLAYING_UPSTREAM: 'http://a:8000, http://b:8000', NOW_PLAYING_PORT: '7000', NOW_PLAYING_LOG_LEVEL: 'debug' };
    const config = run([], env);
    expect(config).toMatchObject({ port: 7000, logLevel: 'debug' });
    expect(config.upstreams.map((u) => u.url)).toEqual(['http://a:8000/status-json.xsl', 'http://b:8000/status-json.xsl']);
    expect(run(['--port', '7001'], env).port).toBe(7001);
  });

  it('reads the limit flags, the switch and the trusted proxy list (flags and environment)', () => {
    const config = run([
      '--upstream=http://h',
      '--max-connections', '500',
      '--max-connections-per-ip', '20',
      '--trust-proxy', '127.0.0.1, 10.0.0.0/8,::1',
      '--client-message-rate', '3',
      '--client-message-burst', '9',
      '--max-stations-per-upstream', '7',
      '--evict-offline-after', '60000',
      '--max-redirects', '1',
      '--allow-cross-host-redirects',
    ]);
    expect(config).toMatchObject({
      maxConnections: 500,
      maxConnectionsPerIp: 20,
      trustProxy: ['127.0.0.1', '10.0.0.0/8', '::1'],
      clientMessageRate: 3,
      clientMessageBurst: 9,
      maxStationsPerUpstream: 7,
      evictOfflineAfter: 60000,
      maxRedirects: 1,
      crossHostRedirects: true,
    });
    expect(run(['--upstream=http://h']).crossHostRedirects).toBe(false);
    expect(run(['--upstream=http://h'], { NOW_PLAYING_ALLOW_CROSS_HOST_REDIRECTS: 'yes' }).crossHostRedirects).toBe(true);
    expect(() => run(['--upstream=http://h'], { NOW_PLAYING_ALLOW_CROSS_HOST_REDIRECTS: 'sure' })).toThrow(/NOW_PLAYING_ALLOW_CROSS_HOST_REDIRECTS: expected 1\/0/);
    expect(() => run(['--upstream=http://h', '--trust-proxy', '10.0.0.0/33'])).toThrow(/--trust-proxy: expected IP addresses or CIDR ranges .*"10.0.0.0\/33"/);
    expect(() => run(['--upstream=http://h', '--trust-proxy', 'proxy.local'])).toThrow(/--trust-proxy: .*"proxy.local"/);
  });

  it('the default connection limit comes from the open-file limit, less headroom', () => {
    expect(DEFAULTS.maxConnections).toBeGreaterThanOrEqual(16);
    const limits = (soft: string) => {
      const file = join(mkdtempSync(join(tmpdir(), 'limits-')), 'limits');
      writeFileSync(file, `Limit                     Soft Limit           Hard Limit           Units\nMax open files            ${soft}                20000                files\n`);
      return defaultMaxConnections(file);
    };
    expect(limits('20000')).toBe(20000 - 256);
    expect(limits('100')).toBe(16);
    expect(limits('unlimited')).toBe(100_000);
    expect(defaultMaxConnections('/nonexistent/limits')).toBe(10_000);
  });

  it('user:password@ in an upstream becomes credentials and is never part of the URL or an error', () => {
    const [upstream] = run(['--upstream', 'http://admin:s%40cret@icecast:8000/?charset=latin1']).upstreams;
    expect(upstream).toEqual({ url: 'http://icecast:8000/status-json.xsl', credentials: { username: 'admin', password: 's@cret' }, charset: 'latin1' });
    let message = '';
    try {
      run(['--upstream', 'ftp://admin:hunter2@icecast/']);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/must start with http/);
    expect(message).not.toContain('hunter2');
    expect(() => run(['--upstream', 'http://icecast/?charset=ebcdic'])).toThrow(/charset must be utf-8, latin1 or auto, got "ebcdic"/);
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
