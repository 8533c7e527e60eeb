/** A plain http:// upstream: what server is it? Detected against the fake playing each kind, over loopback. */
import { createServer } from 'node:http';
import { startFakeIcecast, type FakeIcecast, type ServerKind } from '@now-playing/fake-icecast';
import { afterEach, describe, expect, it } from 'vitest';

import { captureLogs, closeAll, onCleanup, startRelay, waitFor } from './helpers.js';

afterEach(closeAll);

async function fake(server: ServerKind): Promise<FakeIcecast> {
  const station = await startFakeIcecast({ server, mounts: { '/live': { title: 'Artist - Title', serverName: 'Detected FM' } } });
  onCleanup(() => station.close());
  return station;
}


describe('detecting the server behind a plain http:// URL', () => {
  it.each([
    ['icecast', 'Icecast (status-json)', '/status-json.xsl', 'live'],
    ['shoutcast-v2', 'Shoutcast v2', '/statistics?json=1', 'sid/1'],
    ['shoutcast-v1', 'Shoutcast v1', '/7.html', 'sid/1'],
  ] as const)('%s: found, said in one info line, and polled from then on', async (kind, name, path, id) => {
    const station = await fake(kind);
    const logs = captureLogs('info');
    const relay = await startRelay([station.url], {}, logs.logger);
    expect(relay.stations.get(id)!.state).toMatchObject({ online: true, track: { text: 'Artist - Title' } });
    station.setTitle('live', 'Next - Title');
    await waitFor(() => relay.stations.get(id)!.state.track?.text === 'Next - Title', 3000, 'the next title');
    const found = logs.lines().filter((line) => String(line.msg).startsWith('upstream is'));
    expect(found).toEqual([expect.objectContaining({ level: 30, msg: `upstream is ${name}`, kind, url: `${station.url}${path}` })]);
  });

  it('icecast+ forces Icecast: a Shoutcast server is then a failing upstream (HTTP 404), never probed further', async () => {
    const station = await fake('shoutcast-v2');
    const relay = await startRelay([`icecast+${station.url}`]);
    expect(relay.health()[0]).toMatchObject({ state: 'failing', lastError: 'HTTP 404', stations: [] });
    expect(station.statusRequests).toBe(0);
  });

  it('a server of no known kind is a failing upstream with a reason, not a crash; it is detected once it becomes one', async () => {
    let serving: 'binary' | 'nothing' | 'icecast' = 'binary';
    const station = await fake('icecast');
    const other = createServer((req, res) => {
      if (serving === 'binary') res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(Buffer.from([0, 159, 146, 150, 255, 1]));
      else if (serving === 'nothing' || req.url !== '/status-json.xsl') res.writeHead(404).end('Invalid resource');
      else fetch(station.statusUrl).then(async (r) => res.writeHead(200, { 'content-type': 'application/json' }).end(await r.text()));
    });
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    onCleanup(() => new Promise((resolve) => other.close(resolve)));
    const { port } = other.address() as { port: number };
    const relay = await startRelay([`http://127.0.0.1:${port}/`]);
    expect(relay.health()[0]).toMatchObject({ state: 'failing', lastError: 'invalid JSON' });
    serving = 'nothing';
    await waitFor(() => relay.health()[0]!.lastError === 'no status page found', 3000, 'the 404 reason');
    serving = 'icecast';
    await waitFor(() => relay.stations.get('live')?.state.track?.text === 'Artist - Title', 5000, 'detection');
    expect(relay.health()[0]!.state).toBe('ok');
  });

  it('an unreachable server is reported as such at once (no probing of other documents)', async () => {
    const station = await fake('icecast');
    const { url } = station;
    await station.close();
    const relay = await startRelay([url]);
    expect(relay.health()[0]).toMatchObject({ state: 'failing', lastError: 'connection refused' });
  });
});
