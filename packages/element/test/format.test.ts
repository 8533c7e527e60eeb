import { describe, expect, it } from 'vitest';
import { DEFAULT_FORMAT, formatTrack } from '../src/format.js';
import { nowPlaying } from './fake-socket.js';

describe('formatTrack', () => {
  it('uses "{artist} – {title}" by default', () => {
    expect(DEFAULT_FORMAT).toBe('{artist} – {title}');
    expect(formatTrack(DEFAULT_FORMAT, nowPlaying())).toBe('Artist A – Song One');
    expect(formatTrack('', nowPlaying())).toBe('Artist A – Song One');
  });

  it('returns an empty string without state or without a track', () => {
    expect(formatTrack(DEFAULT_FORMAT, undefined)).toBe('');
    expect(formatTrack('{station}', nowPlaying({ track: undefined }))).toBe('');
  });

  it('fills text, station and listeners', () => {
    expect(formatTrack('{text} @ {station} ({listeners})', nowPlaying())).toBe('Artist A - Song One @ Radio Test (3)');
    expect(formatTrack('{listeners}', nowPlaying({ listeners: 0 }))).toBe('0');
  });

  it('falls back from the station name to its id', () => {
    expect(formatTrack('{station}: {title}', nowPlaying({ station: { id: 'live' } }))).toBe('live: Song One');
    expect(formatTrack('{station}: {title}', nowPlaying({ station: { id: 'live', name: '  ' } }))).toBe('live: Song One');
  });

  it('falls back to track.text when a placeholder the format uses is missing', () => {
    const noArtist = nowPlaying({ track: { text: 'Just a stream title' } });
    expect(formatTrack(DEFAULT_FORMAT, noArtist)).toBe('Just a stream title');
    const emptyTitle = nowPlaying({ track: { text: 'Artist A -', artist: 'Artist A', title: '' } });
    expect(formatTrack(DEFAULT_FORMAT, emptyTitle)).toBe('Artist A -');
    expect(formatTrack('{title} ({listeners})', nowPlaying({ listeners: undefined }))).toBe('Artist A - Song One');
  });

  it('does not fall back for placeholders the format does not use', () => {
    expect(formatTrack('{title}', nowPlaying({ track: { text: 't', title: 'Only Title' } }))).toBe('Only Title');
  });

  it('leaves unknown placeholders and replacement patterns alone', () => {
    expect(formatTrack('{Artist} {title}', nowPlaying())).toBe('{Artist} Song One');
    const dollar = nowPlaying({ track: { text: 'x', artist: "$& $' $1", title: '$$' } });
    expect(formatTrack(DEFAULT_FORMAT, dollar)).toBe("$& $' $1 – $$");
  });

  it('keeps hostile text as plain text, unescaped and unchanged', () => {
    const hostile = '<img src=x onerror=window.__xss=1>';
    expect(formatTrack(DEFAULT_FORMAT, nowPlaying({ track: { text: hostile } }))).toBe(hostile);
    expect(formatTrack('{artist}|{title}', nowPlaying({ track: { text: '', artist: '<b>', title: '&amp;' } }))).toBe(
      '<b>|&amp;',
    );
  });
});
