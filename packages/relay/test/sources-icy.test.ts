/** The in-stream ICY source end to end: a real fake server streaming over loopback, a real relay, real clients. */
import { createServer as createNetServer, type Socket } from 'node:net';
import { apply, historyList, type NowPlaying } from '@now-playing/protocol';
import { startFakeIcecast, type FakeIcecast, type FakeIcecastOptions } from '@now-playing/fake-icecast';
import { afterEach, describe, expect, it } from 'vitest';
import { createRelay } from '../src/index.js';
import { closeAll, FAST, onCleanup, relayWsUrl, startRelay, TestClient, waitFor } from './helpers.js';

afterEach(closeAll);

// Blocks every 50 ms (1,000 audio bytes at 20,000 bytes a second): titles flow fast in tests.
const QUICK_STREAM: FakeIcecastOptions = { metaint: 1000, streamBytesPerSecond: 20_000 };

async function fake(options: FakeIcecastOptions = {}): Promise<FakeIcecast> {
  const server = await startFakeIcecast({ mounts: { '/live': { title: 'Artist - First', serverName: 'Live FM', genre: 'Jazz', bitrate: 128 } }, ...QUICK_STREAM, ...options });
  onCleanup(() => server.close());
  return server;
}



/** Apply patches until `done(state)` holds (each within the timeout). */
async function until(client: TestClient, state: NowPlaying, done: (s: NowPlaying) => boolean, timeout = 3000): Promise<NowPlaying> {
  while (!done(state)) state = apply<NowPlaying>(state, (await client.next('patch', timeout)).patch);
  return state;
}

describe('in-stream ICY (icy+http://…)', () => {
  it('pushes a title change at the next metadata block, with no poll interval in between; the relay is one listener', async () => {
    const station = await fake();
    const relay = await startRelay([`icy+${station.streamUrl('live')}`], { pollInterval: 3_600_000 });
    const clients = await Promise.all([1, 2, 3].map(() => TestClient.open(relayWsUrl(relay, 'live'))));
    const snapshot = await clients[0]!.next('snapshot');
    expect(snapshot.data).toMatchObject({
      station: { id: 'live', name: 'Live FM', genre: 'Jazz' },
      online: true,
      stale: false,
      bitrate: 128,
      track: { text: 'Artist - First', artist: 'Artist', title: 'First' },
    });
    station.setTitle('live', 'Björk - Jóga');
    // The poll interval is an hour: only the stream can bring this.
    const state = await until(clients[0]!, snapshot.data, (s) => s.track?.text === 'Björk - Jóga');
    expect(historyList(state)[0]?.text).toBe('Artist - First');
    expect(station.streams).toBe(1);
    expect(relay.health()[0]).toMatchObject({ url: `icy+${station.streamUrl('live')}`, state: 'ok', stations: ['live'] });
  });

  it('decodes each title by what it is: Latin-1 with references (Icecast without a charset), UTF-8 (with one)', async () => {
    const station = await fake({ mounts: { '/latin': { title: 'Sigur Rós – Hoppípolla' }, '/utf': { title: '宇多田ヒカル – 初恋 🎵', charset: 'UTF-8' } } });
    const latin = await startRelay([`icy+${station.streamUrl('latin')}`]);
    const utf = await startRelay([`icy+${station.streamUrl('utf')}`]);
    expect(latin.stations.get('latin')!.state.track).toEqual({ text: 'Sigur Rós – Hoppípolla', artist: 'Sigur Rós', title: 'Hoppípolla' });
    expect(utf.stations.get('utf')!.state.track?.text).toBe('宇多田ヒカル – 初恋 🎵');
    // ?charset= forces a reading: UTF-8 bytes read as Latin-1 are what a wrong override costs.
    const forced = await startRelay([`icy+${station.streamUrl('utf')}?charset=latin1`]);
    expect(forced.stations.get('utf')!.state.track?.text).toMatch(/^å®‡/);
  });

  it("keeps a title with `';` in it exactly", async () => {
    const station = await fake({ mounts: { '/live': { title: "Guns N' Roses - Rock';n';Roll" } } });
    const relay = await startRelay([`icy+${station.streamUrl('live')}`]);
    expect(relay.stations.get('live')!.state.track).toEqual({ text: "Guns N' Roses - Rock';n';Roll", artist: "Guns N' Roses", title: "Rock';n';Roll" });
  });

  it('reads a SHOUTcast v1 stream (ICY 200 OK, StreamUrl after the title); a stream at / is the station "stream"', async () => {
    const station = await fake({ server: 'shoutcast-v1' });
    const relay = await startRelay([`icy+${station.url}/`]);
    expect(relay.stations.get('stream')!.state).toMatchObject({ station: { name: 'Live FM' }, track: { text: 'Artist - First' } });
  });

  it('reconnects at once when the server drops the stream, without marking the station stale', async () => {
    const station = await fake();
    const relay = await startRelay([`icy+${station.streamUrl('live')}`]);
    const client = await TestClient.open(relayWsUrl(relay, 'live'));
    let state = (await client.next('snapshot')).data;
    station.dropStreams();
    await waitFor(() => station.streams === 0, 3000, 'the drop');
    await waitFor(() => station.streams === 1, 3000, 'the reconnect');
    station.setTitle('live', 'After - Drop');
    state = await until(client, state, (s) => s.track?.text === 'After - Drop');
    expect(client.messages.some((m) => m.type === 'patch' && (m.patch as Partial<NowPlaying>).stale === true)).toBe(false);
    expect(relay.health()[0]!.consecutiveFailures).toBe(0);
  });

  it('a server that goes away: stale with the reason, last data kept; back on the same port: recovered', async () => {
    const first = await fake();
    const { port } = first;
    const relay = await startRelay([`icy+${first.streamUrl('live')}`]);
    const client = await TestClient.open(relayWsUrl(relay, 'live'));
    let state = (await client.next('snapshot')).data;
    await first.close();
    // The drop itself may be seen as a reset first; the reconnects are refused.
    state = await until(client, state, (s) => s.staleReason === 'connection refused');
    expect(state).toMatchObject({ stale: true, track: { text: 'Artist - First' } });
    const second = await startFakeIcecast({ port, mounts: { '/live': { title: 'Back - Again' } }, ...QUICK_STREAM });
    onCleanup(() => second.close());
    state = await until(client, state, (s) => !s.stale && s.track?.text === 'Back - Again', 5000);
    expect(state.staleReason).toBeUndefined();
  });

  it.each([
    ['stall', 'stream stalled'],
    ['stream-garbage', 'invalid ICY metadata'],
  ] as const)('%s: stale with "%s", then reconnected and recovered when healed', async (kind, reason) => {
    const station = await fake();
    const relay = await startRelay([`icy+${station.streamUrl('live')}`]);
    const client = await TestClient.open(relayWsUrl(relay, 'live'));
    let state = (await client.next('snapshot')).data;
    station.setFault({ kind });
    state = await until(client, state, (s) => s.stale);
    expect(state.staleReason).toBe(reason);
    expect(state.track?.text).toBe('Artist - First');
    station.setFault(null);
    station.setTitle('live', 'Healed - Now');
    state = await until(client, state, (s) => !s.stale && s.track?.text === 'Healed - Now', 5000);
  });

  it('the largest metadata block there is (length byte 255) costs one 4,080-byte buffer and a title cut to 512', async () => {
    const station = await fake();
    station.setFault({ kind: 'metadata-overflow' });
    const relay = await startRelay([`icy+${station.streamUrl('live')}`]);
    const text = relay.stations.get('live')!.state.track!.text;
    expect(Array.from(text)).toHaveLength(512);
    expect(text).toMatch(/^Overflow Overflow .*…$/);
  });

  it('a URL that is no ICY stream (no icy-metaint) is a failing upstream with that reason, not a crash', async () => {
    const station = await fake();
    const relay = await startRelay([`icy+${station.statusUrl}`]);
    expect(relay.health()[0]).toMatchObject({ state: 'failing', lastError: 'no ICY metadata (icy-metaint missing)' });
    expect((await fetch(`${relay.url}/healthz`)).status).toBe(200);
  });

  it('stops the stream when the relay stops', async () => {
    const station = await fake();
    const relay = createRelay({ upstreams: [`icy+${station.streamUrl('live')}`], host: '127.0.0.1', port: 0, logLevel: 'silent', ...FAST });
    await relay.start();
    expect(station.streams).toBe(1);
    await relay.stop(200);
    await waitFor(() => station.streams === 0, 3000, 'the stream to close');
  });
});

/** A hand-written stream server: records each request and answers with `respond`. */
async function rawServer(respond: (socket: Socket, request: string) => void): Promise<{ url: string; requests: string[] }> {
  const requests: string[] = [];
  const sockets = new Set<Socket>();
  const server = createNetServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    let text = '';
    socket.on('data', (chunk) => {
      text += chunk.toString('latin1');
      if (text.includes('\r\n\r\n')) {
        requests.push(text);
        respond(socket, text);
        text = '';
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onCleanup(
    () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  );
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, requests };
}

/** `metaint` audio bytes then one block with `text`. */
function icyChunk(metaint: number, text: string): Buffer {
  const bytes = Buffer.from(text, 'latin1');
  const length = Math.ceil(bytes.length / 16);
  return Buffer.concat([Buffer.alloc(metaint, 0x55), Buffer.from([length]), bytes, Buffer.alloc(length * 16 - bytes.length)]);
}

describe('the stream request', () => {
  it('is HTTP/1.0 with Icy-MetaData: 1 and Basic auth; an ICY head with bare LFs is read', async () => {
    const server = await rawServer((socket) => {
      socket.write('ICY 200 OK\nicy-name:Old School\nicy-metaint:64\n\n');
      socket.write(icyChunk(64, "StreamTitle='Old - School';"));
    });
    const url = new URL(server.url);
    const relay = await startRelay([`icy+http://dj:s%40cret@${url.host}/;stream.mp3`]);
    expect(relay.stations.get(';stream.mp3')!.state).toMatchObject({ station: { name: 'Old School' }, track: { text: 'Old - School' } });
    const [request] = server.requests;
    expect(request).toMatch(/^GET \/;stream\.mp3 HTTP\/1\.0\r\n/);
    expect(request).toMatch(/\r\nicy-metadata: 1\r\n/i);
    expect(request).toContain(`authorization: Basic ${Buffer.from('dj:s@cret').toString('base64')}`);
    expect(JSON.stringify(relay.health())).not.toContain('cret');
  });

  it('a head larger than 16 KiB is refused as an invalid HTTP response', async () => {
    const server = await rawServer((socket) => {
      socket.write(`HTTP/1.0 200 OK\r\nicy-metaint:64\r\nx-filler: ${'x'.repeat(20_000)}\r\n\r\n`);
    });
    const relay = await startRelay([`icy+${server.url}/live`]);
    expect(relay.health()[0]).toMatchObject({ state: 'failing', lastError: 'invalid HTTP response' });
  });

  it('follows a redirect on the same host; a redirect to another host is refused (and never asked)', async () => {
    const station = await fake();
    const target = new URL(station.streamUrl('live'));
    const same = await rawServer((socket, request) => {
      if (request.startsWith('GET /old ')) socket.end(`HTTP/1.0 302 Found\r\nLocation: /live\r\n\r\n`);
      else {
        socket.write('HTTP/1.0 200 OK\r\nicy-metaint:64\r\n\r\n');
        socket.write(icyChunk(64, "StreamTitle='Moved - Here';"));
      }
    });
    const followed = await startRelay([`icy+${same.url}/old`]);
    expect(followed.stations.get('old')!.state.track?.text).toBe('Moved - Here');
    expect(same.requests.map((r) => r.split('\r\n')[0])).toEqual(['GET /old HTTP/1.0', 'GET /live HTTP/1.0']);

    const away = await rawServer((socket) => socket.end(`HTTP/1.0 302 Found\r\nLocation: http://localhost:${target.port}/live\r\n\r\n`));
    const refused = await startRelay([`icy+${away.url}/live`]);
    expect(refused.health()[0]).toMatchObject({ state: 'failing', lastError: 'redirect to another host refused' });
    expect(station.streams).toBe(0);
  });
});
