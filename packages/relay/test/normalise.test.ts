import { describe, expect, it } from 'vitest';
import { cleanText, decodeEntities, normaliseStationInfo, normaliseTrack, safeHttpUrl, stationIdOf } from '../src/normalise.js';

describe('decodeEntities', () => {
  it('decodes decimal, hex and the five XML entities', () => {
    expect(decodeEntities('a &#8211; b &#x2014; c &amp; &lt;i&gt; &quot;q&quot; &apos;')).toBe('a – b — c & <i> "q" \'');
    expect(decodeEntities('&#127925; &#23431;')).toBe('🎵 宇');
  });

  it('drops references to what is not a character; leaves unknown named ones as they are', () => {
    expect(decodeEntities('a&#0;b &#xD800;c &#55296;d &#9999999;e &#x110000;f')).toBe('ab c d e f');
    expect(decodeEntities('&nbsp; & ;')).toBe('&nbsp; & ;');
  });

  it('decodes once: an escaped reference stays a reference', () => {
    expect(decodeEntities('&amp;#60;')).toBe('&#60;');
  });
});

describe('cleanText', () => {
  it('turns control characters into spaces, collapses and trims', () => {
    expect(cleanText('  A\u0001\tB\n\u0085C  ')).toBe('A B C');
  });
  it('is undefined when nothing printable is left', () => {
    expect(cleanText(' \u0000 ')).toBeUndefined();
    expect(cleanText(undefined)).toBeUndefined();
  });
});

describe('normaliseTrack', () => {
  it('splits "Artist - Title" at the first separator and keeps text whole', () => {
    expect(normaliseTrack('A - B - C')).toEqual({ text: 'A - B - C', artist: 'A', title: 'B - C' });
    expect(normaliseTrack('A &#8211; B')).toEqual({ text: 'A – B', artist: 'A', title: 'B' });
  });
  it('uses a separate artist as given', () => {
    expect(normaliseTrack('Song', 'Band')).toEqual({ text: 'Band - Song', artist: 'Band', title: 'Song' });
  });
  it('a title without a separator is the title', () => {
    expect(normaliseTrack('Station ID jingle')).toEqual({ text: 'Station ID jingle', title: 'Station ID jingle' });
    expect(normaliseTrack('-Minus- x')).toEqual({ text: '-Minus- x', title: '-Minus- x' });
  });
  it('a lone dash or nothing means no track', () => {
    for (const t of ['-', ' - ', '–', '', undefined]) expect(normaliseTrack(t)).toBeUndefined();
  });
  it('markup stays text (decoded, never interpreted)', () => {
    expect(normaliseTrack('&lt;img src=x onerror=alert(1)&gt; - x')?.artist).toBe('<img src=x onerror=alert(1)>');
  });
});

describe('station info', () => {
  it('keeps only http(s) links', () => {
    expect(safeHttpUrl('https://radio.example/')).toBe('https://radio.example/');
    expect(safeHttpUrl('javascript:alert(1)')).toBeUndefined();
    expect(safeHttpUrl('not a url')).toBeUndefined();
  });
  it('omits empty fields rather than sending empty strings', () => {
    expect(normaliseStationInfo('live', { mount: '/live', name: ' ', genre: 'Jazz', url: 'data:x' })).toEqual({ id: 'live', genre: 'Jazz' });
  });
  it('station ids are mount names without the slash', () => {
    expect(stationIdOf('/live')).toBe('live');
    expect(stationIdOf('/radio/hq.mp3')).toBe('radio/hq.mp3');
  });
});
