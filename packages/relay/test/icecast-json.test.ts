import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseIcecastStatus, repairIcecastJson } from '../src/sources/icecast-json.js';
import { normaliseTrack } from '../src/normalise.js';

const fixture = (name: string) =>
  readFileSync(new URL(`../../fake-icecast/fixtures/${name}`, import.meta.url), 'utf8');

describe('parseIcecastStatus on real Icecast 2.4.4 answers', () => {
  it('no mounts: icestats.source is absent → no mounts', () => {
    expect(parseIcecastStatus(fixture('status-json-0mounts.json')).mounts).toEqual([]);
  });

  it('one mount before any metadata: an object, no title', () => {
    const { mounts } = parseIcecastStatus(fixture('status-json-1mount-notitle.json'));
    expect(mounts).toEqual([
      { mount: '/live', name: 'Example Live', description: 'Example test stream (/live)', genre: 'Test', listeners: 0 },
    ]);
  });

  it('one mount with a title', () => {
    const { mounts } = parseIcecastStatus(fixture('status-json-1mount.json'));
    expect(mounts).toHaveLength(1);
    expect(mounts[0]!.title).toBe('Sigur Rós &#8211; Hoppípolla');
  });

  it('two mounts: an array, both read, references left for normalisation', () => {
    const { mounts, repairs } = parseIcecastStatus(fixture('status-json-2mounts.json'));
    expect(repairs).toEqual([]);
    expect(mounts.map((m) => m.mount)).toEqual(['/live', '/second']);
    expect(normaliseTrack(mounts[1]!.title)).toEqual({ text: '宇多田ヒカル - 初恋', artist: '宇多田ヒカル', title: '初恋' });
    expect(normaliseTrack(mounts[0]!.title)).toEqual({ text: 'Sigur Rós – Hoppípolla', artist: 'Sigur Rós', title: 'Hoppípolla' });
  });
});

const withTitle = (raw: string) =>
  `{"icestats":{"server_id":"Icecast 2.4.4","source":{"listeners":3,"listenurl":"http://127.0.0.1:8000/live","title":${raw},"dummy":null}}}`;

describe('repairing what Icecast 2.4 writes as invalid JSON', () => {
  it('a title of "-" written as a bare `- `', () => {
    const body = withTitle('- ');
    expect(() => JSON.parse(body)).toThrow();
    const { mounts, repairs } = parseIcecastStatus(body);
    expect(mounts[0]!.title).toBe('-');
    expect(repairs).toEqual(['bare value for "title"']);
  });

  it('numeric-looking titles keep their exact text, even where JSON would change them', () => {
    for (const raw of ['1999', '007', '1.50', '1e3', '-5']) {
      expect(parseIcecastStatus(withTitle(raw)).mounts[0]!.title).toBe(raw);
    }
  });

  it('raw control characters inside strings', () => {
    const body = withTitle('"Artist\t-\u0001 Ti\ntle"');
    expect(() => JSON.parse(body)).toThrow();
    const { mounts, repairs } = parseIcecastStatus(body);
    expect(mounts[0]!.title).toBe('Artist\t-\u0001 Ti\ntle');
    expect(repairs).toContain('raw control character');
  });

  it('leaves numbers, literals and escaped quotes in valid JSON untouched', () => {
    const body = '{"a":1.5e3,"b":true,"c":null,"d":"say \\"hi\\", ok: {x}","e":[1,2]}';
    expect(repairIcecastJson(body)).toEqual({ text: body, repairs: [] });
  });

  it('a colon or comma inside a title does not confuse the scanner', () => {
    const { mounts } = parseIcecastStatus(withTitle('"Live: 12, a \\"b\\": 3"'));
    expect(mounts[0]!.title).toBe('Live: 12, a "b": 3');
  });

  it.each([
    ['truncated JSON', '{"icestats":{"source":{"title":"abc', 'invalid JSON'],
    ['HTML', '<html><body>Error</body></html>', 'invalid JSON'],
    ['an empty body', '', 'invalid JSON'],
    ['JSON without icestats', '{"hello":1}', 'icestats'],
    ['icestats of the wrong type', '{"icestats":[1]}', 'icestats'],
  ])('rejects %s with a reason', (_name, body, reason) => {
    expect(() => parseIcecastStatus(body)).toThrow(expect.objectContaining({ reason: expect.stringContaining(reason) }));
  });

  it('skips a source without a listen URL instead of inventing a station', () => {
    const body = '{"icestats":{"source":[{"title":"x"},{"listenurl":"http://h:8000/ok","title":"y"}]}}';
    const { mounts, repairs } = parseIcecastStatus(body);
    expect(mounts.map((m) => m.mount)).toEqual(['/ok']);
    expect(repairs[0]).toContain('listenurl');
  });

  it('reads bitrate from bitrate, ice-bitrate or audio_bitrate (bps)', () => {
    const src = (extra: string) => `{"icestats":{"source":{"listenurl":"http://h/m",${extra}}}}`;
    expect(parseIcecastStatus(src('"bitrate":128')).mounts[0]!.bitrate).toBe(128);
    expect(parseIcecastStatus(src('"ice-bitrate":"96"')).mounts[0]!.bitrate).toBe(96);
    expect(parseIcecastStatus(src('"audio_bitrate":192000')).mounts[0]!.bitrate).toBe(192);
    expect(parseIcecastStatus(src('"bitrate":"n/a"')).mounts[0]!.bitrate).toBeUndefined();
  });
});

describe('hostile bodies', () => {
  it('any string is parsed or rejected with a SourceError, never anything else', async () => {
    const fc = (await import('fast-check')).default;
    const { SourceError } = await import('../src/sources/source.js');
    const fragments = fc.constantFrom('{', '}', '[', ']', ':', ',', '"', '\\', '- ', '007', '"icestats"', '"source"', '"title"', '\u0001', 'null');
    const body = fc.oneof(fc.string(), fc.array(fragments, { maxLength: 40 }).map((parts) => parts.join('')));
    fc.assert(
      fc.property(body, (text) => {
        try {
          parseIcecastStatus(text);
        } catch (error) {
          expect(error).toBeInstanceOf(SourceError);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
