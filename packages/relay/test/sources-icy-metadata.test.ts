import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { metadataBlock } from '@now-playing/fake-icecast';
import { normaliseTrack } from '../src/normalise.js';
import { IcyDemuxer, MAX_ICY_BLOCK_BYTES, parseIcyBlock } from '../src/sources/icy-metadata.js';
import { SourceError } from '../src/sources/source.js';

const latin1 = (text: string) => Buffer.from(text, 'latin1');
const padded = (text: Buffer) => Buffer.concat([text, Buffer.alloc((16 - (text.length % 16)) % 16)]);

/** The block a real Icecast 2.4.4 sent (fixtures/icy-block-dump.txt, its HEX line), NUL-padded. */
function capturedBlock(): Buffer {
  const dump = readFileSync(new URL('../../fake-icecast/fixtures/icy-block-dump.txt', import.meta.url), 'utf8');
  const hex = /^HEX\s*:\s*(.+)$/m.exec(dump)![1]!.trim().split(/\s+/);
  return padded(Buffer.from(hex.map((h) => Number.parseInt(h, 16))));
}

describe('parseIcyBlock', () => {
  it("reads the captured Icecast block: Latin-1 bytes with a numeric reference, normalised to 'Björk – Jóga'", () => {
    const { title } = parseIcyBlock(capturedBlock(), 'auto');
    expect(title).toBe('Björk &#8211; Jóga');
    expect(normaliseTrack(title)).toEqual({ text: 'Björk – Jóga', artist: 'Björk', title: 'Jóga' });
  });

  it("keeps `';` inside a title: a value ends at the `';` before the next key or the end", () => {
    expect(parseIcyBlock(padded(latin1("StreamTitle='Rock';n';Roll';StreamUrl='http://x/';")), 'auto')).toEqual({
      title: "Rock';n';Roll",
      url: 'http://x/',
    });
    expect(parseIcyBlock(padded(latin1("StreamTitle='It's';")), 'auto')).toEqual({ title: "It's" });
    expect(parseIcyBlock(padded(latin1("StreamTitle='a';b';")), 'auto')).toEqual({ title: "a';b" });
  });

  it('accepts a last value without its `;`, spaces between fields, and keys in any case; ignores unknown keys', () => {
    expect(parseIcyBlock(padded(latin1("StreamTitle='A - B'")), 'auto')).toEqual({ title: 'A - B' });
    expect(parseIcyBlock(padded(latin1("streamtitle='x'; StreamUrl='';")), 'auto')).toEqual({ title: 'x', url: '' });
    expect(parseIcyBlock(padded(latin1("adw_ad='true';StreamTitle='T';")), 'auto')).toEqual({ title: 'T' });
    expect(parseIcyBlock(Buffer.alloc(32), 'auto')).toEqual({});
    expect(parseIcyBlock(padded(latin1("StreamTitle='';")), 'auto')).toEqual({ title: '' });
  });

  it('decodes each title by validity: UTF-8 stays UTF-8, anything else is Latin-1 (windows-1252), unless forced', () => {
    const utf8 = padded(Buffer.from("StreamTitle='宇多田ヒカル – 初恋';", 'utf8'));
    expect(parseIcyBlock(utf8, 'auto').title).toBe('宇多田ヒカル – 初恋');
    const cp1252 = padded(Buffer.from([...latin1("StreamTitle='Don"), 0x92, ...latin1('t Stop '), 0x80, ...latin1("';")]));
    expect(parseIcyBlock(cp1252, 'auto').title).toBe('Don’t Stop €');
    expect(parseIcyBlock(utf8, 'latin1').title).not.toBe('宇多田ヒカル – 初恋');
    expect(parseIcyBlock(padded(latin1("StreamTitle='Bj\u00f6rk';")), 'utf-8').title).toBe('Bj\ufffdrk');
  });

  it('refuses a block that is not key=value text (binary, or a stream read at the wrong metaint)', () => {
    for (const bad of [Buffer.from([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]), latin1("StreamTitle='never closed"), latin1('hello'), latin1("='x';")]) {
      expect(() => parseIcyBlock(padded(bad), 'auto')).toThrow(new SourceError('invalid ICY metadata'));
    }
  });

  it('fuzz: arbitrary bytes give a value or a SourceError, never another exception; a title is never longer than the block', () => {
    const structured = fc
      .array(fc.oneof(fc.constantFrom("StreamTitle='", "';", "'", ';', 'StreamUrl=', '=', "x='", '\0'), fc.string({ maxLength: 8 })), { maxLength: 40 })
      .map((parts) => Buffer.from(parts.join(''), 'utf8'));
    const raw = fc.uint8Array({ maxLength: MAX_ICY_BLOCK_BYTES }).map((bytes) => Buffer.from(bytes));
    fc.assert(
      fc.property(fc.oneof(structured, raw), fc.constantFrom('auto', 'utf-8', 'latin1') as fc.Arbitrary<'auto' | 'utf-8' | 'latin1'>, (block, charset) => {
        try {
          const { title, url } = parseIcyBlock(block, charset);
          expect((title?.length ?? 0) + (url?.length ?? 0)).toBeLessThanOrEqual(block.length);
        } catch (error) {
          expect(error).toBeInstanceOf(SourceError);
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('IcyDemuxer', () => {
  /** A stream: `metaint` audio bytes, then each block (with its length byte). */
  function stream(metaint: number, blocks: Buffer[]): Buffer {
    return Buffer.concat(blocks.flatMap((block) => [Buffer.alloc(metaint, 0xaa), block]));
  }

  it('hands over each block, empty ones included, and drops the audio, however the bytes are split', () => {
    const blocks = [metadataBlock('One', undefined), Buffer.from([0]), metadataBlock('Two', 'UTF-8'), Buffer.from([0])];
    const bytes = stream(100, blocks);
    for (const size of [1, 7, 99, 100, 101, 1000]) {
      const seen: string[] = [];
      const demuxer = new IcyDemuxer(100, (block) => seen.push(block.toString('latin1').replace(/\0+$/, '')));
      for (let at = 0; at < bytes.length; at += size) demuxer.push(bytes.subarray(at, at + size));
      expect(seen).toEqual(["StreamTitle='One';", '', "StreamTitle='Two';", '']);
    }
  });

  it('holds at most one block (4,080 bytes), never audio', () => {
    const demuxer = new IcyDemuxer(16_000, () => {});
    demuxer.push(Buffer.alloc(1_000_000)); // audio only (and zero length bytes)
    expect(demuxer.buffered).toBe(0);
    const huge = new IcyDemuxer(1, () => {});
    huge.push(Buffer.from([0xaa, 255, ...Buffer.alloc(100)]));
    expect(huge.buffered).toBe(MAX_ICY_BLOCK_BYTES);
  });

  it('refuses a metaint it cannot use', () => {
    for (const metaint of [0, -1, 1.5, 2 ** 31, Number.NaN]) expect(() => new IcyDemuxer(metaint, () => {})).toThrow(RangeError);
  });

  it('fuzz: any bytes in any chunks: blocks of at most 4,080 bytes, at most one held, nothing else kept', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 64 }), fc.array(fc.uint8Array({ maxLength: 2000 }), { maxLength: 20 }), (metaint, chunks) => {
        let total = 0;
        const demuxer = new IcyDemuxer(metaint, (block) => {
          expect(block.length).toBeLessThanOrEqual(MAX_ICY_BLOCK_BYTES);
          expect(block.length % 16).toBe(0);
          total += block.length;
        });
        for (const chunk of chunks) {
          demuxer.push(Buffer.from(chunk));
          expect(demuxer.buffered).toBeLessThanOrEqual(MAX_ICY_BLOCK_BYTES);
        }
        expect(total).toBeLessThanOrEqual(chunks.reduce((sum, c) => sum + c.length, 0));
      }),
      { numRuns: 500 },
    );
  });
});
