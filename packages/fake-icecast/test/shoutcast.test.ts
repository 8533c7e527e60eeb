import { describe, expect, it } from 'vitest';
import { escapeHtml } from '../src/shoutcast.js';
import { startFake } from './helpers.js';
import { StreamClient } from './stream-client.js';

const BROWSER = { 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64)' };

interface V2Stream {
  id: number;
  servertitle: string;
  songtitle: string;
  streamstatus: number;
  currentlisteners: number;
  bitrate: string;
  servergenre: string;
  streampath: string;
}

async function json<T>(url: string): Promise<T> {
  const response = await fetch(url);
  expect(response.status).toBe(200);
  return (await response.json()) as T;
}

describe('SHOUTcast v2', () => {
  it('/statistics?json=1 lists every stream with an id in the order mounts appeared; gone ones stay, off air', async () => {
    const fake = await startFake({
      server: 'shoutcast-v2',
      mounts: { '/stream': { title: 'A - One', serverName: 'First', listeners: 3, bitrate: 128, genre: 'Jazz' }, '/hq': { title: 'B - Two' } },
    });
    fake.setMount('/third', { title: 'C' });
    let stats = await json<{ totalstreams: number; activestreams: number; version: string; streams: V2Stream[] }>(`${fake.url}/statistics?json=1`);
    expect(stats.version).toMatch(/^2\.6/);
    expect(stats.streams.map((s) => [s.id, s.streampath, s.songtitle, s.streamstatus])).toEqual([
      [1, '/stream', 'A - One', 1],
      [2, '/hq', 'B - Two', 1],
      [3, '/third', 'C', 1],
    ]);
    expect(stats.streams[0]).toMatchObject({ servertitle: 'First', currentlisteners: 3, bitrate: '128', servergenre: 'Jazz' });
    fake.removeMount('/hq');
    stats = await json(`${fake.url}/statistics?json=1`);
    expect(stats.streams[1]).toMatchObject({ id: 2, streamstatus: 0, songtitle: '' });
    expect([stats.totalstreams, stats.activestreams]).toEqual([3, 2]);
    fake.setMount('/hq', { title: 'B - Back' });
    stats = await json(`${fake.url}/statistics?json=1`);
    expect(stats.streams[1]).toMatchObject({ id: 2, streamstatus: 1, songtitle: 'B - Back' });
    expect(fake.statusRequests).toBe(3);
  });

  it('/stats?sid=N&json=1 is one stream; /status-json.xsl is a 404; streams have HTTP/1.0 heads and StreamUrl', async () => {
    const fake = await startFake({ server: 'shoutcast-v2', mounts: { '/a': { title: 'A' }, '/b': { title: 'B', serverName: 'Bee' } }, metaint: 400 });
    expect(await json(`${fake.url}/stats?sid=2&json=1`)).toMatchObject({ songtitle: 'B', servertitle: 'Bee', streamstatus: 1 });
    expect((await fetch(`${fake.url}/stats?sid=9&json=1`)).status).toBe(404);
    expect((await fetch(fake.statusUrl)).status).toBe(404);
    const client = new StreamClient(fake.streamUrl('/b'), { 'Icy-MetaData': '1' });
    await client.until(() => client.blocks.length > 0, 3000, 'a block');
    expect(client.head.split('\r\n')[0]).toBe('HTTP/1.0 200 OK');
    expect(client.header('icy-metaint')).toBe('400');
    expect(client.titles()).toEqual(["StreamTitle='B';StreamUrl='';"]);
  });

  it('status faults apply to its status pages', async () => {
    const fake = await startFake({ server: 'shoutcast-v2', mounts: { '/a': { title: 'A' } } });
    fake.setFault({ kind: 'http-error', status: 503 });
    expect((await fetch(`${fake.url}/statistics?json=1`)).status).toBe(503);
    fake.setFault({ kind: 'binary' });
    expect((await fetch(`${fake.url}/statistics?json=1`)).headers.get('content-type')).toBe('application/octet-stream');
  });
});

describe('SHOUTcast v1', () => {
  it('/7.html to a browser: seven fields in HTML, the title escaped, its commas kept', async () => {
    const title = `AC/DC, "Live" & <Loud>, Björk's`;
    const fake = await startFake({ server: 'shoutcast-v1', mounts: { '/live': { title, listeners: 4, bitrate: 128 } } });
    const response = await fetch(`${fake.url}/7.html`, { headers: BROWSER });
    const body = Buffer.from(await response.arrayBuffer()).toString('latin1');
    expect(body).toBe(`<HTML><meta http-equiv="Pragma" content="no-cache"></head><body>4,1,4,32,4,128,${escapeHtml(title)}</body></html>`);
    expect(escapeHtml(title)).toBe('AC/DC, &quot;Live&quot; &amp; &lt;Loud&gt;, Björk&#39;s');
    fake.removeMount('/live');
    const off = await (await fetch(`${fake.url}/7.html`, { headers: BROWSER })).text();
    expect(off).toContain('<body>0,0,0,32,0,0,</body>');
  });

  it('/7.html to anything else is the audio stream itself, with ICY 200 OK', async () => {
    const fake = await startFake({ server: 'shoutcast-v1', mounts: { '/live': { title: 'T' } } });
    const client = new StreamClient(`${fake.url}/7.html`, { 'Icy-MetaData': '1' });
    await client.until(() => client.blocks.length > 0, 3000, 'a block');
    expect(client.head.split('\r\n')[0]).toBe('ICY 200 OK');
    expect(client.header('icy-metaint')).toBe('8192');
    expect(client.titles()).toEqual(["StreamTitle='T';StreamUrl='';"]);
    expect(fake.statusRequests).toBe(0);
  });

  it('serves its one stream at / and /;stream.mp3; /statistics is a 404', async () => {
    const fake = await startFake({ server: 'shoutcast-v1', mounts: { '/live': { title: 'T' } } });
    for (const path of ['/', '/;stream.mp3']) {
      const client = new StreamClient(`${fake.url}${path}`);
      await client.until(() => client.bodyBytes > 0, 3000, 'audio');
      expect(client.head.split('\r\n')[0]).toBe('ICY 200 OK');
    }
    expect((await fetch(`${fake.url}/statistics?json=1`)).status).toBe(404);
  });
});
