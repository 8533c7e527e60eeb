import { describe, it, expect } from 'vitest';
import { renderStatusJson, type MountSnapshot, type ServerInfo } from '../src/index.js';
import { fixture, keyPaths } from './helpers.js';

// The server the fixtures were captured from.
const captured = (start: string): ServerInfo => ({
  host: '127.0.0.1',
  baseUrl: 'http://127.0.0.1:18000',
  serverStart: new Date(start),
  location: 'loopback-test',
});
const live: MountSnapshot = { serverName: 'Example Live', description: 'Example test stream (/live)' };
const second: MountSnapshot = { serverName: 'Example Second', description: 'Example test stream (/second)' };
const server = captured('2026-11-24T21:01:31Z');

function render(mounts: Record<string, MountSnapshot>): string {
  return renderStatusJson(mounts, server);
}

function sourceOf(body: string): unknown {
  return (JSON.parse(body) as { icestats: { source?: unknown } }).icestats.source;
}

describe('renderStatusJson reproduces the captured Icecast 2.4.4 responses byte for byte', () => {
  it('no mounts', () => {
    expect(render({})).toBe(fixture('status-json-0mounts.json'));
  });

  it('one mount before any metadata update', () => {
    const body = renderStatusJson({ '/live': live }, captured('2026-11-24T20:57:05Z'));
    expect(body).toBe(fixture('status-json-1mount-notitle.json'));
  });

  it('one mount with a title', () => {
    const body = render({ '/live': { ...live, title: 'Sigur Rós – Hoppípolla' } });
    expect(body).toBe(fixture('status-json-1mount.json'));
    expect(body).toContain('"title":"Sigur Rós &#8211; Hoppípolla"');
  });

  it('two mounts, with numeric character references', () => {
    const body = render({
      '/live': { ...live, title: 'Sigur Rós – Hoppípolla' },
      '/second': { ...second, title: '宇多田ヒカル - 初恋' },
    });
    const expected = fixture('status-json-2mounts.json');
    expect(body).toBe(expected);
    expect(JSON.parse(body)).toEqual(JSON.parse(expected));
    expect(keyPaths(JSON.parse(body))).toEqual(keyPaths(JSON.parse(expected)));
    expect(body).toContain('&#8211;');
    expect(body).toContain('&#23431;&#22810;&#30000;');
  });
});

describe('renderStatusJson shapes', () => {
  it('source is absent with 0 mounts, an object with 1, an array with several', () => {
    expect(JSON.parse(render({})).icestats).not.toHaveProperty('source');
    expect(JSON.parse(render({})).icestats.dummy).toBeNull();
    const one = sourceOf(render({ '/a': {} }));
    expect(Array.isArray(one)).toBe(false);
    expect(one).toMatchObject({ listenurl: 'http://127.0.0.1:18000/a' });
    const two = sourceOf(render({ '/a': {}, '/b': {} }));
    expect(Array.isArray(two) && two.length).toBe(2);
  });

  it('with sources, source is the last icestats key (no icestats dummy)', () => {
    expect(Object.keys(JSON.parse(render({ '/a': {} })).icestats).at(-1)).toBe('source');
  });

  it('lists sources in mount-name order', () => {
    const sources = sourceOf(render({ '/zeta': {}, '/alpha': {} })) as { listenurl: string }[];
    expect(sources.map((s) => s.listenurl)).toEqual(['http://127.0.0.1:18000/alpha', 'http://127.0.0.1:18000/zeta']);
  });

  it('has no title key when the title is unset or null', () => {
    expect(sourceOf(render({ '/a': {} }))).not.toHaveProperty('title');
    expect(sourceOf(render({ '/a': { title: null } }))).not.toHaveProperty('title');
    expect(sourceOf(render({ '/a': { title: '' } }))).toHaveProperty('title', '');
  });

  it('applies the documented defaults', () => {
    expect(sourceOf(render({ '/a': {} }))).toEqual({
      genre: 'Test',
      listener_peak: 0,
      listeners: 0,
      listenurl: 'http://127.0.0.1:18000/a',
      server_description: 'Fake test stream (/a)',
      server_name: 'Fake /a',
      server_type: 'audio/mpeg',
      stream_start: 'Tue, 24 Nov 2026 21:01:31 +0000',
      stream_start_iso8601: '2026-11-24T21:01:31+0000',
      dummy: null,
    });
  });

  it('places optional keys alphabetically and ends each source with dummy', () => {
    const source = sourceOf(
      render({
        '/ogg': {
          artist: 'Björk',
          title: 'Jóga',
          bitrate: 128,
          serverUrl: 'https://example.org/',
          serverType: 'application/ogg',
          listeners: 3,
          listenerPeak: 9,
          streamStart: new Date('2026-01-02T03:04:05Z'),
        },
      }),
    );
    expect(Object.keys(source as object)).toEqual([
      'artist',
      'bitrate',
      'genre',
      'listener_peak',
      'listeners',
      'listenurl',
      'server_description',
      'server_name',
      'server_type',
      'server_url',
      'stream_start',
      'stream_start_iso8601',
      'title',
      'dummy',
    ]);
    expect(source).toMatchObject({
      artist: 'Björk',
      bitrate: 128,
      listener_peak: 9,
      listeners: 3,
      stream_start: 'Fri, 02 Jan 2026 03:04:05 +0000',
      stream_start_iso8601: '2026-01-02T03:04:05+0000',
    });
  });
});

describe('renderStatusJson quirks of Icecast 2.4.x', () => {
  const titled = (title: string, extra: MountSnapshot = {}) => render({ '/a': { ...extra, title } });

  it('writes a lone "-" title unquoted with a trailing space (invalid JSON)', () => {
    const body = titled('-');
    expect(body).toContain('"title":- ,"dummy":null');
    expect(() => JSON.parse(body)).toThrow(SyntaxError);
  });

  it('writes numeric-looking titles as bare numbers, leading zeros included', () => {
    expect(titled('1999')).toContain('"title":1999,');
    expect(sourceOf(titled('1999'))).toHaveProperty('title', 1999);
    expect(titled('-3.5')).toContain('"title":-3.5,');
    const body = titled('007');
    expect(body).toContain('"title":007,');
    expect(() => JSON.parse(body)).toThrow(SyntaxError);
    expect(titled('1999 (Remastered)')).toContain('"title":"1999 (Remastered)"');
  });

  it('writes control characters raw (invalid JSON) but escapes quote and backslash', () => {
    const raw = titled('a\u0001b\nc');
    expect(raw).toContain('"title":"a\u0001b\nc"');
    expect(() => JSON.parse(raw)).toThrow(SyntaxError);
    const escaped = titled('say "hi" \\o/');
    expect(escaped).toContain('"title":"say \\"hi\\" \\\\o/"');
    expect(sourceOf(escaped)).toHaveProperty('title', 'say "hi" \\o/');
  });

  it('writes characters above U+00FF as decimal references, one per code point', () => {
    const body = titled('Ünïcödé – 宇 🎵');
    expect(body).toContain('"title":"Ünïcödé &#8211; &#23431; &#127925;"');
    expect(body).not.toContain('&#55356;'); // no surrogate halves
  });

  it('writes raw UTF-8 when the mount has a charset', () => {
    const body = titled('– 宇 🎵', { charset: 'UTF-8', artist: 'Ø – x' });
    expect(body).toContain('"title":"– 宇 🎵"');
    expect(body).toContain('"artist":"Ø – x"');
    expect(body).not.toContain('&#');
  });

  it('escapes every text field the same way', () => {
    const body = render({ '/a': { serverName: 'Radio – Ü', genre: '80s', description: '1984' } });
    expect(body).toContain('"server_name":"Radio &#8211; Ü"');
    expect(body).toContain('"server_description":1984');
    expect(body).toContain('"genre":"80s"');
  });
});
