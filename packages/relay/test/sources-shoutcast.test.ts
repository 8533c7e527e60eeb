/** Shoutcast v2 and v1 sources end to end: the fake playing a SHOUTcast server over loopback, a real relay. */
import { apply, type NowPlaying } from '@now-playing/protocol';
import { startFakeIcecast, type FakeIcecast, type FakeIcecastOptions } from '@now-playing/fake-icecast';
import { afterEach, describe, expect, it } from 'vitest';

import { closeAll, onCleanup, relayWsUrl, startRelay, TestClient } from './helpers.js';

afterEach(closeAll);

async function fake(options: FakeIcecastOptions): Promise<FakeIcecast> {
  const server = await startFakeIcecast(options);
  onCleanup(() => server.close());
  return server;
}



async function until(client: TestClient, state: NowPlaying, done: (s: NowPlaying) => boolean, timeout = 3000): Promise<NowPlaying> {
  while (!done(state)) state = apply<NowPlaying>(state, (await client.next('patch', timeout)).patch);
  return state;
}

describe('Shoutcast v2 (shoutcast+http://…)', () => {
  it('every stream is a station (sid/<id>), named by servertitle; off air and back are pushed', async () => {
    const station = await fake({
      server: 'shoutcast-v2',
      mounts: {
        '/stream': { title: 'Nina Simone - Feeling Good', serverName: 'Jazz FM', genre: 'Jazz', listeners: 12, bitrate: 128 },
        '/hq': { title: 'Miles Davis - So What', serverName: 'Jazz FM HQ', bitrate: 320 },
      },
    });
    const relay = await startRelay([`shoutcast+${station.url}`]);
    expect(relay.stations.list().map((s) => s.id)).toEqual(['sid/1', 'sid/2']);
    expect(relay.stations.get('sid/1')!.state).toMatchObject({
      station: { id: 'sid/1', name: 'Jazz FM', genre: 'Jazz' },
      online: true,
      listeners: 12,
      bitrate: 128,
      track: { text: 'Nina Simone - Feeling Good', artist: 'Nina Simone', title: 'Feeling Good' },
    });
    expect(relay.stations.get('sid/2')!.state).toMatchObject({ station: { name: 'Jazz FM HQ' }, bitrate: 320 });

    const client = await TestClient.open(relayWsUrl(relay, 'sid/2'));
    let state = (await client.next('snapshot')).data;
    station.setTitle('/hq', 'John Coltrane - Naima');
    state = await until(client, state, (s) => s.track?.text === 'John Coltrane - Naima');
    station.removeMount('/hq'); // the source leaves: streamstatus 0
    state = await until(client, state, (s) => !s.online);
    expect(state.track?.text).toBe('John Coltrane - Naima'); // kept for context
    station.setMount('/hq', { title: 'Back - On Air' });
    state = await until(client, state, (s) => s.online && s.track?.text === 'Back - On Air');
    expect(relay.stations.get('sid/1')!.state.online).toBe(true);
  });

  it('a failing status page is a stale station with the reason, recovered when healed', async () => {
    const station = await fake({ server: 'shoutcast-v2', mounts: { '/stream': { title: 'Kept - Title' } } });
    const relay = await startRelay([`shoutcast+${station.url}`]);
    const client = await TestClient.open(relayWsUrl(relay, 'sid/1'));
    let state = (await client.next('snapshot')).data;
    station.setFault({ kind: 'invalid-json' });
    state = await until(client, state, (s) => s.stale);
    expect(state).toMatchObject({ staleReason: 'invalid JSON', track: { text: 'Kept - Title' } });
    station.setFault(null);
    state = await until(client, state, (s) => !s.stale, 5000);
  });
});

describe('Shoutcast v1 (shoutcast+http://…)', () => {
  it('reads 7.html with a browser User-Agent: the title keeps its commas, entities decoded once', async () => {
    const title = `AC/DC, "Live" & <Loud> - It's a Long Way, Björk &amp; friends`;
    const station = await fake({ server: 'shoutcast-v1', mounts: { '/live': { title, listeners: 5, bitrate: 96 } } });
    const relay = await startRelay([`shoutcast+${station.url}`]);
    expect(relay.stations.get('sid/1')!.state).toMatchObject({ online: true, listeners: 5, bitrate: 96, track: { text: title } });
    expect(station.statusRequests).toBeGreaterThan(0); // it read the page, not the stream the page turns into for non-browsers
    expect(station.streams).toBe(0);
  });

  it('off air (status 0) is pushed and recovered', async () => {
    const station = await fake({ server: 'shoutcast-v1', mounts: { '/live': { title: 'A - B' } } });
    const relay = await startRelay([`shoutcast+${station.url}`]);
    const client = await TestClient.open(relayWsUrl(relay, 'sid/1'));
    let state = (await client.next('snapshot')).data;
    station.removeMount('/live');
    state = await until(client, state, (s) => !s.online);
    station.setMount('/live', { title: 'C - D' });
    state = await until(client, state, (s) => s.online && s.track?.text === 'C - D');
  });

  it.each([
    ['an endless audio body', { kind: 'endless-audio' } as const, 'an audio stream, not a status page'],
    ['an endless body of another type', { kind: 'huge', bytes: 50 * 1024 * 1024, chunked: true } as const, 'response larger than 1048576 bytes'],
  ])('a 7.html that is %s is cut with a clear reason; the station stays, stale', async (_name, fault, reason) => {
    const station = await fake({ server: 'shoutcast-v1', mounts: { '/live': { title: 'Kept - Title' } } });
    const relay = await startRelay([`shoutcast+${station.url}`]);
    const client = await TestClient.open(relayWsUrl(relay, 'sid/1'));
    let state = (await client.next('snapshot')).data;
    station.setFault(fault);
    state = await until(client, state, (s) => s.stale);
    expect(state).toMatchObject({ staleReason: reason, track: { text: 'Kept - Title' } });
  });
});
