import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cleanText, normaliseTrack } from '../src/normalise.js';
import { htmlEntitiesToNumeric } from '../src/sources/html-entities.js';
import { parseShoutcast7Html, parseShoutcastStatistics, parseShoutcastStreamStats } from '../src/sources/shoutcast-status.js';
import { SourceError } from '../src/sources/source.js';

/** A 7.html page as SHOUTcast v1 writes it. */
const page = (fields: string) => `<HTML><meta http-equiv="Pragma" content="no-cache"></head><body>${fields}</body></html>`;

describe('parseShoutcast7Html', () => {
  it('reads the seven fields; the title keeps its commas', () => {
    expect(parseShoutcast7Html(page('12,1,40,100,9,128,AC/DC, Live, Loud - Track, Two'))).toEqual([
      { mount: '/sid/1', title: 'AC/DC, Live, Loud - Track, Two', listeners: 12, bitrate: 128 },
    ]);
    expect(parseShoutcast7Html('3,1,3,32,3,0,Plain')).toEqual([{ mount: '/sid/1', title: 'Plain', listeners: 3 }]);
  });

  it('streamstatus 0 is off air: no stream listed', () => {
    expect(parseShoutcast7Html(page('0,0,0,32,0,0,'))).toEqual([]);
  });

  it('entities are decoded once, by normalise.ts: named HTML ones too, a title that says &amp; keeps it', () => {
    const [reading] = parseShoutcast7Html(page('1,1,1,1,1,128,Caf&eacute; &amp; Bar&nbsp;&#39;99 &ndash; &quot;Live&quot; &amp;amp; &amp;nbsp; &lt;b&gt;'));
    expect(cleanText(reading!.title)).toBe(`Café & Bar '99 – "Live" &amp; &nbsp; <b>`);
    expect(normaliseTrack(reading!.title)?.artist).toBe('Café & Bar \'99');
  });

  it('anything else is a clean SourceError', () => {
    for (const bad of ['', '<html><body>Invalid resource</body></html>', page('1,1,1,1,1,Title'), page('a,1,1,1,1,1,T'), '\u0000\u0001binary']) {
      expect(() => parseShoutcast7Html(bad)).toThrow(new SourceError('not a Shoutcast 7.html'));
    }
  });

  it('fuzz: arbitrary text gives readings or a SourceError; the title never outgrows the input', () => {
    const pieces = fc.oneof(fc.constantFrom('<body>', '</body>', '<', '>', ',', '1', '0', '&amp;', '&nbsp;', '<b', 'x'), fc.string({ maxLength: 6 }));
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 300 }), fc.array(pieces, { maxLength: 60 }).map((p) => p.join(''))), (text) => {
        try {
          const readings = parseShoutcast7Html(text);
          expect(readings.length).toBeLessThanOrEqual(1);
          for (const r of readings) {
            expect(r.mount).toBe('/sid/1');
            expect(Number.isSafeInteger(r.listeners)).toBe(true);
            // Named entities become numeric references: at most 2 characters longer each (`&gt;`→`&#62;` is +1).
            expect(r.title!.length).toBeLessThanOrEqual(text.length * 2);
          }
        } catch (error) {
          expect(error).toBeInstanceOf(SourceError);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('is linear on hostile markup: a megabyte of "<" or "<body" (quadratic work would run past the test timeout)', () => {
    expect(() => parseShoutcast7Html('<'.repeat(1_000_000))).toThrow(SourceError);
    expect(() => parseShoutcast7Html('<body'.repeat(200_000))).toThrow(SourceError);
    expect(parseShoutcast7Html(`${'1,'.repeat(6)}${'<b'.repeat(500_000)}`)[0]!.title).toBe('<b'.repeat(500_000));
  });
});

describe('htmlEntitiesToNumeric', () => {
  it('rewrites HTML names as numeric references and leaves the XML five, numbers and unknown names alone', () => {
    expect(htmlEntitiesToNumeric('&nbsp;&eacute;&Eacute;&yuml;&euro;&hellip;&amp;&lt;&#39;&bogus;&amp;nbsp;')).toBe(
      '&#160;&#233;&#201;&#255;&#8364;&#8230;&amp;&lt;&#39;&bogus;&amp;nbsp;',
    );
  });
});

describe('parseShoutcastStatistics (v2)', () => {
  const stream = (id: unknown, extra: Record<string, unknown> = {}) => ({
    id,
    currentlisteners: 3,
    servertitle: 'Station',
    songtitle: 'A - B',
    servergenre: 'Jazz',
    serverurl: 'http://example.com',
    streamstatus: 1,
    bitrate: '128',
    ...extra,
  });

  it('one reading per stream on air, keyed /sid/<id>; streamstatus 0 is off air', () => {
    const text = JSON.stringify({ totalstreams: 3, streams: [stream(1), stream(2, { streamstatus: 0 }), stream(3, { bitrate: 64, currentlisteners: '7', songtitle: 1999 })] });
    expect(parseShoutcastStatistics(text)).toEqual([
      { mount: '/sid/1', name: 'Station', title: 'A - B', genre: 'Jazz', url: 'http://example.com', listeners: 3, bitrate: 128 },
      { mount: '/sid/3', name: 'Station', title: '1999', genre: 'Jazz', url: 'http://example.com', listeners: 7, bitrate: 64 },
    ]);
  });

  it('skips streams without a usable id (and repeated ids)', () => {
    const text = JSON.stringify({ streams: [stream(0), stream('x'), stream(-1), stream(1.5), 'no', null, stream(4), stream(4, { songtitle: 'dup' })] });
    expect(parseShoutcastStatistics(text).map((r) => [r.mount, r.title])).toEqual([['/sid/4', 'A - B']]);
  });

  it('/stats?sid=N: one stream at the top level', () => {
    expect(parseShoutcastStreamStats(JSON.stringify(stream(undefined)), 2)).toMatchObject([{ mount: '/sid/2', title: 'A - B' }]);
    expect(parseShoutcastStreamStats(JSON.stringify(stream(undefined, { streamstatus: 0 })), 2)).toEqual([]);
    expect(() => parseShoutcastStreamStats('{"icestats":{}}', 1)).toThrow(new SourceError('not a Shoutcast stream summary'));
  });

  it('anything else is a clean SourceError', () => {
    expect(() => parseShoutcastStatistics('<html>')).toThrow(new SourceError('invalid JSON'));
    expect(() => parseShoutcastStatistics('{"icestats":{}}')).toThrow(new SourceError('no "streams" list'));
    expect(() => parseShoutcastStatistics('null')).toThrow(SourceError);
  });

  it('fuzz: arbitrary JSON (and text) gives readings or a SourceError, with sane numbers', () => {
    const streamLike = fc.record(
      { id: fc.oneof(fc.integer(), fc.string(), fc.double()), currentlisteners: fc.jsonValue(), bitrate: fc.jsonValue(), streamstatus: fc.jsonValue(), songtitle: fc.jsonValue() },
      { requiredKeys: [] },
    );
    const doc = fc.oneof(fc.jsonValue(), fc.record({ streams: fc.array(fc.oneof(streamLike, fc.jsonValue()), { maxLength: 8 }) }));
    fc.assert(
      fc.property(fc.oneof(doc.map((d) => JSON.stringify(d)), fc.string()), (text) => {
        try {
          for (const r of parseShoutcastStatistics(text)) {
            expect(r.mount).toMatch(/^\/sid\/[1-9]\d*$/);
            if (r.listeners !== undefined) expect(Number.isSafeInteger(r.listeners) && r.listeners >= 0).toBe(true);
            if (r.bitrate !== undefined) expect(r.bitrate > 0).toBe(true);
          }
        } catch (error) {
          expect(error).toBeInstanceOf(SourceError);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
