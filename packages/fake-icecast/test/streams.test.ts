import { describe, expect, it } from 'vitest';
import { metadataBlock } from '../src/index.js';
import { fixture, startFake } from './helpers.js';
import { StreamClient } from './stream-client.js';

const ICY = { 'Icy-MetaData': '1' };

/** The first metadata block of fixtures/icy-block-dump.txt, from its HEX line, padded as its length byte says. */
function fixtureBlock(): { lengthByte: number; text: Buffer } {
  const dump = fixture('icy-block-dump.txt');
  const hex = /^HEX\s*:\s*(.+)$/m.exec(dump)![1]!.trim().split(/\s+/);
  const lengthByte = Number(/length byte=(\d+)/.exec(dump)![1]);
  return { lengthByte, text: Buffer.from(hex.map((h) => Number.parseInt(h, 16))) };
}

describe('an Icecast ICY stream', () => {
  it('has the head of the captured Icecast 2.4.4 answer, in its order', async () => {
    const fake = await startFake({ mounts: { '/live': { title: 'T', serverName: 'Example Live', description: 'Example sine 440Hz' } } });
    const client = new StreamClient(fake.streamUrl('live'), ICY);
    await client.until(() => client.head !== '', 3000, 'the head');
    const dump = fixture('icy-block-dump.txt');
    const expected = [...dump.matchAll(/^HEADER: ([^:]+):/gm)].map((m) => m[1]);
    expect(client.head.split('\r\n')[0]).toBe(/^STATUS: (.+)$/m.exec(dump)![1]);
    expect(client.headers().map(([name]) => name)).toEqual(expected);
    expect(client.header('icy-metaint')).toBe('16000');
    expect(client.header('icy-name')).toBe('Example Live');
  });

  it('writes the first block after metaint audio bytes, byte for byte as the capture (Latin-1, &#8211;)', async () => {
    const fake = await startFake({ mounts: { '/live': { title: 'Björk – Jóga' } } });
    const client = new StreamClient(fake.streamUrl('/live'), ICY);
    await client.until(() => client.blocks.length >= 1, 3000, 'the first block');
    const { lengthByte, text } = fixtureBlock();
    const [first] = client.blocks;
    expect(first!.afterAudio).toBe(16_000);
    expect(first!.lengthByte).toBe(lengthByte);
    expect(first!.bytes).toEqual(Buffer.concat([text, Buffer.alloc(lengthByte * 16 - text.length)]));
    expect(metadataBlock('Björk – Jóga', undefined)).toEqual(Buffer.concat([Buffer.from([lengthByte]), first!.bytes]));
  });

  it('sends zero-length blocks while nothing changes and the new title at the next block after a change', async () => {
    const fake = await startFake({ mounts: { '/live': { title: 'One' } }, metaint: 1000, streamBytesPerSecond: 20_000 });
    const sent: [string, string][] = [];
    fake.onStreamTitle((mount, title) => sent.push([mount, title]));
    const client = new StreamClient(fake.streamUrl('live'), ICY);
    await client.until(() => client.blocks.length >= 3, 5000, 'three blocks');
    expect(client.blocks.slice(1, 3).map((b) => b.lengthByte)).toEqual([0, 0]);
    fake.setTitle('live', "Rock';n';Roll");
    await client.until(() => client.titles().length >= 2, 5000, 'the second title');
    expect(client.titles()).toEqual(["StreamTitle='One';", "StreamTitle='Rock';n';Roll';"]);
    expect(sent).toEqual([
      ['/live', 'One'],
      ['/live', "Rock';n';Roll"],
    ]);
    // Blocks only ever come every metaint bytes.
    expect(client.blocks.every((b, i) => b.afterAudio === (i + 1) * 1000)).toBe(true);
  });

  it('writes UTF-8 for a mount whose charset is UTF-8', async () => {
    const fake = await startFake({ mounts: { '/live': { title: '宇多田ヒカル – 初恋', charset: 'UTF-8' } }, metaint: 500 });
    const client = new StreamClient(fake.streamUrl('live'), ICY);
    await client.until(() => client.blocks.length >= 1, 3000, 'a block');
    expect(client.titles('utf8')).toEqual(["StreamTitle='宇多田ヒカル – 初恋';"]);
  });

  it('without Icy-MetaData: 1, plain MP3 audio (no icy-metaint, no blocks)', async () => {
    const fake = await startFake({ mounts: { '/live': { title: 'T' } } });
    const client = new StreamClient(fake.streamUrl('live'));
    await client.until(() => client.bodyBytes >= 20_000, 5000, 'audio');
    expect(client.header('icy-metaint')).toBeUndefined();
    const audio = Buffer.concat(client.body);
    expect([...audio.subarray(0, 4)]).toEqual([0xff, 0xfb, 0x90, 0xc4]); // MPEG-1 Layer III frame sync
    expect(audio.indexOf('StreamTitle')).toBe(-1);
    expect([...audio.subarray(417, 419)]).toEqual([0xff, 0xfb]); // every 417 bytes a frame
  });

  it('is paced: after the burst, no faster than its byte rate', async () => {
    const fake = await startFake({ mounts: { '/live': {} }, metaint: 1000, streamBytesPerSecond: 10_000 });
    const started = Date.now();
    const client = new StreamClient(fake.streamUrl('live'), ICY);
    await client.until(() => client.audioBytes >= 3000, 5000, 'audio after the burst');
    // An upper bound only: a busy machine can only make it slower.
    expect(client.audioBytes).toBeLessThanOrEqual(1000 + ((Date.now() - started) * 10_000) / 1000 + 1000);
  });

  it('answers ICY 200 OK on request (SHOUTcast v1 style) and counts and drops its streams', async () => {
    const fake = await startFake({ mounts: { '/live': { title: 'T' } }, icyStatusLine: true, metaint: 500 });
    const a = new StreamClient(fake.streamUrl('live'), ICY);
    const b = new StreamClient(fake.streamUrl('live'), ICY);
    await a.until(() => a.blocks.length > 0 && b.blocks.length > 0, 3000, 'both streams');
    expect(a.head.split('\r\n')[0]).toBe('ICY 200 OK');
    expect(fake.streams).toBe(2);
    fake.dropStreams();
    await a.until(() => a.ended && b.ended, 3000, 'both ends');
    await a.until(() => fake.streams === 0, 3000, 'the count to drop');
  });

  it('ends a stream when its mount goes away; an unknown mount is a 404', async () => {
    const fake = await startFake({ mounts: { '/live': { title: 'T' } }, metaint: 500 });
    const client = new StreamClient(fake.streamUrl('live'), ICY);
    await client.until(() => client.blocks.length > 0, 3000, 'a block');
    fake.removeMount('live');
    await client.until(() => client.ended, 3000, 'the end');
    const missing = new StreamClient(fake.streamUrl('nope'), ICY);
    await missing.until(() => missing.head !== '', 3000, 'an answer');
    expect(missing.head).toMatch(/^HTTP\/1\.1 404/);
  });
});

describe('stream faults', () => {
  it('stall: streams stop sending and keep their socket; they resume when healed', async () => {
    const fake = await startFake({ mounts: { '/live': { title: 'T' } }, metaint: 500, streamBytesPerSecond: 10_000 });
    const client = new StreamClient(fake.streamUrl('live'), ICY);
    await client.until(() => client.blocks.length > 0, 3000, 'a block');
    fake.setFault({ kind: 'stall' });
    const before = client.bodyBytes;
    // A healthy stream sends 10,000 bytes a second; a window of 600 ms shows the silence.
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(client.bodyBytes - before).toBeLessThan(1000); // at most what was in flight
    expect(client.ended).toBe(false);
    fake.setFault(null);
    const stalled = client.bodyBytes;
    await client.until(() => client.bodyBytes > stalled + 2000, 3000, 'bytes again');
  });

  it('stream-garbage: the head is valid, then pseudo-random bytes', async () => {
    const fake = await startFake({ mounts: { '/live': { title: 'T' } }, metaint: 500 });
    fake.setFault({ kind: 'stream-garbage' });
    const client = new StreamClient(fake.streamUrl('live'), ICY);
    await client.until(() => client.bodyBytes >= 500, 3000, 'bytes');
    expect(client.header('icy-metaint')).toBe('500');
    const body = Buffer.concat(client.body);
    expect(body.indexOf(Buffer.from([0xff, 0xfb, 0x90, 0xc4]))).toBe(-1);
  });

  it('metadata-overflow: every block is the largest there is (length byte 255)', async () => {
    const fake = await startFake({ mounts: { '/live': { title: 'T' } }, metaint: 500 });
    fake.setFault({ kind: 'metadata-overflow' });
    const client = new StreamClient(fake.streamUrl('live'), ICY);
    await client.until(() => client.blocks.length >= 2, 3000, 'two blocks');
    for (const block of client.blocks.slice(0, 2)) {
      expect(block.lengthByte).toBe(255);
      expect(block.bytes.length).toBe(4080);
      expect(block.bytes.toString('latin1')).toMatch(/^StreamTitle='Overflow Overflow .*';$/);
    }
  });

  it('endless-audio: the status page is an audio stream without end', async () => {
    const fake = await startFake({ mounts: { '/live': {} } });
    fake.setFault({ kind: 'endless-audio' });
    const response = await fetch(fake.statusUrl);
    expect(response.headers.get('content-type')).toBe('audio/mpeg');
    expect(response.headers.get('content-length')).toBeNull();
    const reader = response.body!.getReader();
    let total = 0;
    while (total < 2 * 1024 * 1024) total += (await reader.read()).value!.length;
    await reader.cancel();
    expect(total).toBeGreaterThanOrEqual(2 * 1024 * 1024);
  });
});
