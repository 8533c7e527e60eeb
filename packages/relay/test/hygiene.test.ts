/** The small bounded pieces of the hardening: text hygiene, charset, limits, addresses. */
import type { IncomingMessage } from 'node:http';
import { CloseCode } from '@now-playing/protocol';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { trustedProxies } from '../src/config.js';
import { clientAddress } from '../src/client-address.js';
import { ConnectionLimits } from '../src/connection-limits.js';
import { TEXT_LIMITS, balanceBidi, cleanText, normaliseStationInfo, normaliseTrack, truncate } from '../src/normalise.js';
import { addressKind, redirectTargetAllowed } from '../src/sources/address-policy.js';
import { decodeText } from '../src/sources/charset.js';
import { TokenBucket } from '../src/token-bucket.js';

const RLO = '\u202e';
const PDF = '\u202c';
const RLI = '\u2067';
const PDI = '\u2069';

describe('bidi controls', () => {
  it('removes an unclosed override, so it cannot reorder what follows the title', () => {
    expect(balanceBidi(`${RLO}evil`)).toBe('evil');
    expect(cleanText(`Artist - ${RLO}Title`)).toBe('Artist - Title');
  });

  it('removes closers that close nothing', () => {
    expect(balanceBidi(`a${PDF}b${PDI}c`)).toBe('abc');
  });

  it('keeps matched pairs (right-to-left titles are written with them)', () => {
    expect(balanceBidi(`a ${RLI}שלום${PDI} b ${RLO}x${PDF}`)).toBe(`a ${RLI}שלום${PDI} b ${RLO}x${PDF}`);
  });

  it('a PDI closes embeddings opened inside its isolate; those lose their pairing', () => {
    expect(balanceBidi(`${RLI}a${RLO}b${PDI}c${PDF}`)).toBe(`${RLI}ab${PDI}c`);
  });

  it('whatever the input, every control left is paired (property)', () => {
    const alphabet = fc.constantFrom('a', ' ', '\u202a', '\u202b', '\u202c', '\u202d', '\u202e', '\u2066', '\u2067', '\u2068', '\u2069');
    fc.assert(
      fc.property(fc.array(alphabet, { maxLength: 40 }), (chars) => {
        const out = balanceBidi(chars.join(''));
        const stack: string[] = [];
        for (const ch of out) {
          if ('\u202a\u202b\u202d\u202e'.includes(ch)) stack.push('e');
          else if ('\u2066\u2067\u2068'.includes(ch)) stack.push('i');
          else if (ch === '\u202c') expect(stack.pop()).toBe('e');
          else if (ch === '\u2069') {
            while (stack[stack.length - 1] === 'e') stack.pop();
            expect(stack.pop()).toBe('i');
          }
        }
        expect(stack).toEqual([]);
      }),
    );
  });
});

describe('field length limits', () => {
  it('cuts by code points with an ellipsis and never splits a surrogate pair', () => {
    expect(truncate('abcdef', 4)).toBe('abc…');
    expect(truncate('🎵🎵🎵🎵🎵', 3)).toBe('🎵🎵…');
    expect(truncate('short', 10)).toBe('short');
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 60 }), fc.integer({ min: 1, max: 30 }), (text, max) => {
        const out = truncate(text, max);
        expect(Array.from(out).length).toBeLessThanOrEqual(Math.max(max, 0));
        expect(out).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/);
      }),
    );
  });

  it('a million-character title becomes a track of at most TEXT_LIMITS.track code points', () => {
    const track = normaliseTrack(`Artist - ${'x'.repeat(1_000_000)}`)!;
    expect(Array.from(track.text)).toHaveLength(TEXT_LIMITS.track);
    expect(track.text.endsWith('…')).toBe(true);
    expect(track.artist).toBe('Artist');
    const separate = normaliseTrack('t'.repeat(5000), 'a'.repeat(5000))!;
    for (const value of [separate.text, separate.artist!, separate.title!]) expect(Array.from(value).length).toBeLessThanOrEqual(TEXT_LIMITS.track);
  });

  it('station fields have their own limits; a URL that is too long is dropped, not cut', () => {
    const info = normaliseStationInfo('live', {
      mount: '/live',
      name: 'n'.repeat(10_000),
      description: 'd'.repeat(10_000),
      genre: 'g'.repeat(10_000),
      url: `https://example.com/${'p'.repeat(5000)}`,
    });
    expect(Array.from(info.name!)).toHaveLength(TEXT_LIMITS.name);
    expect(Array.from(info.description!)).toHaveLength(TEXT_LIMITS.description);
    expect(Array.from(info.genre!)).toHaveLength(TEXT_LIMITS.genre);
    expect(info.url).toBeUndefined();
    expect(normaliseStationInfo('live', { mount: '/live', url: 'https://example.com/ok' }).url).toBe('https://example.com/ok');
  });
});

describe('charset', () => {
  const latin1 = Buffer.from([0x43, 0x61, 0x66, 0xe9, 0x20, 0x92, 0x39, 0x30]); // "Café ’90" in windows-1252

  it('valid UTF-8 stays UTF-8; anything else is read as Latin-1 instead of U+FFFD', () => {
    expect(decodeText(Buffer.from('Café – Sigur Rós'), 'auto')).toBe('Café – Sigur Rós');
    expect(decodeText(latin1, 'auto')).toBe('Café ’90');
    expect(decodeText(latin1, 'auto')).not.toContain('\ufffd');
  });

  it('an override wins', () => {
    expect(decodeText(Buffer.from('Café'), 'latin1')).toBe('CafÃ©');
    expect(decodeText(latin1, 'utf-8')).toContain('\ufffd');
  });
});

describe('TokenBucket', () => {
  it('allows a burst, then the refill rate', () => {
    let now = 0;
    const bucket = new TokenBucket(5, 20, () => now);
    const take = (n: number) => Array.from({ length: n }, () => bucket.take()).filter(Boolean).length;
    expect(take(25)).toBe(20);
    now += 1000;
    expect(take(10)).toBe(5);
    now += 60_000;
    expect(take(30)).toBe(20); // never more than the burst, however long the pause
  });
});

describe('ConnectionLimits', () => {
  it('refuses past the total with 1013 and past the per-address limit with 4403; release makes room', () => {
    const limits = new ConnectionLimits({ maxConnections: 3, maxPerAddress: 2 });
    expect(limits.admit('a')).toBeUndefined();
    expect(limits.admit('a')).toBeUndefined();
    expect(limits.admit('a')?.code).toBe(CloseCode.TooManyConnectionsFromAddress);
    expect(limits.admit('b')).toBeUndefined();
    expect(limits.admit('c')?.code).toBe(CloseCode.RelayFull);
    limits.release('a');
    expect(limits.admit('c')).toBeUndefined();
    expect(limits.total).toBe(3);
  });

  it('a per-address limit of 0 is off', () => {
    const limits = new ConnectionLimits({ maxConnections: 100, maxPerAddress: 0 });
    for (let i = 0; i < 100; i++) expect(limits.admit('a')).toBeUndefined();
    expect(limits.admit('a')?.code).toBe(CloseCode.RelayFull);
  });
});

describe('clientAddress', () => {
  const request = (remoteAddress: string, forwarded?: string) =>
    ({ socket: { remoteAddress }, headers: forwarded === undefined ? {} : { 'x-forwarded-for': forwarded } }) as unknown as IncomingMessage;

  it('is the socket peer unless the peer is a trusted proxy', () => {
    expect(clientAddress(request('::ffff:127.0.0.1', '203.0.113.7'), undefined)).toBe('127.0.0.1');
    expect(clientAddress(request('192.0.2.1', '203.0.113.7'), trustedProxies(['127.0.0.1']))).toBe('192.0.2.1');
  });

  it('behind trusted proxies: the right-most untrusted address of X-Forwarded-For', () => {
    const proxies = trustedProxies(['127.0.0.1', '10.0.0.0/8']);
    expect(clientAddress(request('127.0.0.1', '203.0.113.7'), proxies)).toBe('203.0.113.7');
    // The client wrote 1.2.3.4 itself; the proxies appended the real address and their own.
    expect(clientAddress(request('127.0.0.1', '1.2.3.4, 203.0.113.7, 10.1.2.3'), proxies)).toBe('203.0.113.7');
    expect(clientAddress(request('127.0.0.1', 'garbage, 203.0.113.7'), proxies)).toBe('203.0.113.7');
    expect(clientAddress(request('127.0.0.1', '203.0.113.7, not-an-ip'), proxies)).toBe('127.0.0.1');
    expect(clientAddress(request('127.0.0.1'), proxies)).toBe('127.0.0.1');
  });
});

describe('redirect address policy', () => {
  it('classifies addresses', () => {
    expect(['127.0.0.1', '::1', '::ffff:127.0.0.2', '0.0.0.0'].map(addressKind)).toEqual(['loopback', 'loopback', 'loopback', 'loopback']);
    expect(['169.254.169.254', 'fe80::1'].map(addressKind)).toEqual(['link-local', 'link-local']);
    expect(['10.1.2.3', '172.20.0.1', '192.168.1.1', 'fd00::1', '100.64.0.1'].map(addressKind)).toEqual(Array(5).fill('private'));
    expect(['203.0.113.7', '2001:db8::1', '172.32.0.1'].map(addressKind)).toEqual(['public', 'public', 'public']);
  });

  it('a redirect may reach a public address, or one of the upstream’s own kind only', () => {
    expect(redirectTargetAllowed('public', 'public')).toBe(true);
    expect(redirectTargetAllowed('public', 'loopback')).toBe(true);
    expect(redirectTargetAllowed('loopback', 'loopback')).toBe(true);
    expect(redirectTargetAllowed('link-local', 'public')).toBe(false);
    expect(redirectTargetAllowed('link-local', 'loopback')).toBe(false);
    expect(redirectTargetAllowed('private', 'public')).toBe(false);
    expect(redirectTargetAllowed('loopback', 'private')).toBe(false);
  });
});
