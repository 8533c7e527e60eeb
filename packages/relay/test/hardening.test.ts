/**
 * The relay against hostile upstreams and clients, over real sockets: credentials, redirects,
 * charsets, station caps and eviction, unique ids, connection and message limits. (Memory and
 * latency under attack are measured against the built relay in test/abuse/.)
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startFakeIcecast, type MountState } from '@now-playing/fake-icecast';
import { CloseCode } from '@now-playing/protocol';
import { afterEach, describe, expect, it } from 'vitest';

import { captureLogs, closeAll, onCleanup, startRelay, startStack, TestClient, waitFor } from './helpers.js';

afterEach(closeAll);


async function fake(mounts: Record<string, MountState> = { '/live': { title: 'Artist - First', serverName: 'Live' } }) {
  const server = await startFakeIcecast({ mounts });
  onCleanup(() => server.close());
  return server;
}

const getJson = async (url: string) => (await fetch(url)).json() as Promise<Record<string, unknown>>;

describe('upstream credentials', () => {
  it('user:password@ is sent as Basic auth and shown nowhere: /healthz, /stations, logs', async () => {
    const station = await fake();
    const seen: (string | undefined)[] = [];
    const server = createServer((req: IncomingMessage, res) => {
      seen.push(req.headers.authorization);
      if (req.headers.authorization !== `Basic ${Buffer.from('admin:s3cret!').toString('base64')}`) {
        res.writeHead(401, { 'www-authenticate': 'Basic realm="Icecast2 Server"' }).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(station.statusBody());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    onCleanup(() => new Promise((resolve) => server.close(resolve)));
    const port = (server.address() as AddressInfo).port;
    const logs = captureLogs();
    const relay = await startRelay([`http://admin:s3cret%21@127.0.0.1:${port}/`, `http://admin:wrong@127.0.0.1:${port}/x/`], {}, logs.logger);

    const health = await getJson(`${relay.url}/healthz`);
    const upstreams = health.upstreams as { url: string; state: string; lastError?: string }[];
    expect(upstreams.map((u) => [u.url, u.state, u.lastError])).toEqual([
      [`http://127.0.0.1:${port}/status-json.xsl`, 'ok', undefined],
      [`http://127.0.0.1:${port}/x/status-json.xsl`, 'failing', 'HTTP 401'],
    ]);
    expect(relay.stations.get('live')?.state.track?.text).toBe('Artist - First');
    const everything = JSON.stringify(health) + (await (await fetch(`${relay.url}/stations`)).text()) + logs.text();
    expect(logs.text()).toContain('upstream failed'); // the log did mention the failing upstream…
    for (const secret of ['s3cret', 'wrong', 'admin']) expect(everything).not.toContain(secret); // …without its credentials
    expect(seen.every((header) => header?.startsWith('Basic '))).toBe(true);
  });
});

describe('upstream redirects', () => {
  it('a redirect to itself is a loop: two requests per poll at most, the reason on /healthz', async () => {
    const station = await fake();
    const relay = await startRelay([station.url], { maxBackoff: 200 });
    station.setFault({ kind: 'redirect-self' });
    await waitFor(() => (relay.health()[0]?.consecutiveFailures ?? 0) >= 3, 5000, 'three failed polls');
    station.resetStats();
    const before = relay.health()[0]!.consecutiveFailures;
    await waitFor(() => relay.health()[0]!.consecutiveFailures >= before + 3, 5000, 'three more failed polls');
    const polls = relay.health()[0]!.consecutiveFailures - before;
    // Each poll: the request and the one redirect that revealed the loop (+1 for a poll in flight).
    expect(station.statusRequests).toBeLessThanOrEqual(2 * (polls + 1));
    expect(relay.health()[0]!.lastError).toBe('redirect loop');
    expect(relay.stations.get('live')?.state).toMatchObject({ stale: true, staleReason: 'redirect loop', track: { text: 'Artist - First' } });
  });

  it('a redirect to another host is refused by default and that host is never asked', async () => {
    const [first, other] = [await fake(), await fake({ '/live': { title: 'Other - Station', serverName: 'Other' } })];
    const relay = await startRelay([first.url]);
    first.setFault({ kind: 'redirect', location: other.statusUrl });
    await waitFor(() => relay.health()[0]!.lastError !== undefined, 5000, 'a failed poll');
    expect(relay.health()[0]!.lastError).toBe('redirect to another host refused');
    expect(other.statusRequests).toBe(0);
    expect(relay.stations.get('live')?.state.track?.text).toBe('Artist - First');
  });

  it('with --allow-cross-host-redirects, another host of the same kind is followed (loopback → loopback)', async () => {
    const [first, other] = [await fake(), await fake({ '/live': { title: 'Other - Station', serverName: 'Other' } })];
    first.setFault({ kind: 'redirect', location: other.statusUrl, status: 301 });
    const relay = await startRelay([first.url], { crossHostRedirects: true });
    expect(relay.stations.get('live')?.state.track?.text).toBe('Other - Station');
    expect(relay.health()[0]!.state).toBe('ok');
  });

  it('at most --max-redirects redirects per poll', async () => {
    const hops = await Promise.all([fake(), fake(), fake()]);
    hops[0]!.setFault({ kind: 'redirect', location: hops[1]!.statusUrl });
    hops[1]!.setFault({ kind: 'redirect', location: hops[2]!.statusUrl });
    const relay = await startRelay([hops[0]!.url], { crossHostRedirects: true, maxRedirects: 1 });
    expect(relay.health()[0]!.lastError).toBe('too many redirects');
    expect(hops[2]!.statusRequests).toBe(0);
  });
});

describe('charsets and text hygiene', () => {
  it('a Latin-1 status document is read as Latin-1: no U+FFFD reaches a listener', async () => {
    const station = await fake({ '/live': { title: 'Café Tacvba – Eres', serverName: 'Radio Señal' } });
    station.setFault({ kind: 'latin1' });
    const relay = await startRelay([station.url]);
    expect(relay.stations.get('live')?.state.track?.text).toBe('Café Tacvba – Eres');
    expect(relay.stations.get('live')?.state.station.name).toBe('Radio Señal');
  });

  it('?charset=utf-8 forces UTF-8 (and shows what a wrong override costs)', async () => {
    const station = await fake({ '/live': { title: 'Café' } });
    station.setFault({ kind: 'latin1' });
    const relay = await startRelay([`${station.url}/?charset=utf-8`]);
    expect(relay.stations.get('live')?.state.track?.text).toBe('Caf\ufffd');
    expect(relay.health()[0]!.url).toBe(station.statusUrl);
  });

  it('binary garbage from the upstream is a stale station with a reason, not a crash', async () => {
    const stack = await startStack();
    stack.fake.setFault({ kind: 'binary' });
    await waitFor(() => stack.relay.stations.get('live')!.state.stale, 5000, 'stale');
    expect(stack.relay.stations.get('live')!.state.staleReason).toBe('invalid JSON');
    expect(stack.relay.stations.get('live')!.state.track?.text).toBe('Artist - First');
  });

  it('a huge title is cut; /stations/<id> and the patch stay small', async () => {
    const stack = await startStack();
    const client = await TestClient.open(stack.wsUrl('live'));
    await client.next('snapshot');
    stack.fake.setFault({ kind: 'huge-title', chars: 1_000_000 });
    const patch = await client.next('patch');
    expect(JSON.stringify(patch).length).toBeLessThan(4096);
    const body = await (await fetch(`${stack.base}/stations/live`)).text();
    expect(body.length).toBeLessThan(4096);
    expect(Array.from(stack.relay.stations.get('live')!.state.track!.text).length).toBeLessThanOrEqual(512);
    expect(stack.relay.stations.get('live')!.state.track!.text).toMatch(/^A very long title .*…$/);
  });

  it('bidi overrides and invalid references in a title never reach a listener', async () => {
    const stack = await startStack();
    const client = await TestClient.open(stack.wsUrl('live'));
    await client.next('snapshot');
    stack.fake.setTitle('live', 'Artist - \u202eTitle&#0;&#xD800; (live)');
    const patch = await client.next('patch');
    expect(patch.patch).toMatchObject({ track: { text: 'Artist - Title (live)' } });
  });
});

describe('stations per upstream', () => {
  it('an upstream that lists new mounts on every poll never has more than --max-stations-per-upstream; one log line per batch', async () => {
    const station = await fake();
    const logs = captureLogs('info');
    const relay = await startRelay([station.url], { maxStationsPerUpstream: 20 }, logs.logger);
    station.setFault({ kind: 'churn-mounts', perRequest: 50 });
    station.resetStats();
    await waitFor(() => station.statusRequests >= 6, 5000, 'six churning polls');
    expect(relay.stations.size).toBeLessThanOrEqual(20);
    expect(relay.health()[0]!.stations.length).toBeLessThanOrEqual(20);
    const added = logs.lines().filter((l) => l.msg === 'stations added');
    // One line per poll at most (not one per mount), each naming at most ten ids.
    expect(added.length).toBeLessThanOrEqual(station.statusRequests + 1);
    expect(added.every((l) => (l.stations as string[]).length <= 10)).toBe(true);
    expect(logs.lines().filter((l) => l.msg === 'station limit reached: new mounts ignored')).toHaveLength(1);
  });

  it('at the limit a station that is on air is never replaced', async () => {
    const station = await fake({ '/a': { title: 'A - 1' }, '/b': { title: 'B - 1' } });
    const relay = await startRelay([station.url], { maxStationsPerUpstream: 2 });
    station.setMount('/c', { title: 'C - 1' });
    await waitFor(() => station.statusRequests >= 4, 5000, 'polls');
    expect(relay.stations.list().map((s) => s.id).sort()).toEqual(['a', 'b']);
    station.removeMount('/a');
    await waitFor(() => relay.stations.get('c') !== undefined, 5000, 'c takes the place of a, which went off air');
    expect(relay.stations.get('a')).toBeUndefined();
  });

  it('a station off air for longer than --evict-offline-after is removed and its clients told (4404)', async () => {
    const stack = await startStack({ '/a': { title: 'A - 1' }, '/b': { title: 'B - 1' } }, { evictOfflineAfter: 1000 });
    const client = await TestClient.open(stack.wsUrl('a'));
    await client.next('snapshot');
    stack.fake.removeMount('/a');
    expect((await client.next('patch')).patch).toMatchObject({ online: false });
    expect(await client.closed).toEqual({ code: CloseCode.UnknownStation, reason: 'station removed: off air for too long' });
    expect(stack.relay.stations.get('a')).toBeUndefined();
    expect(stack.relay.stations.get('b')?.state.online).toBe(true);
  });
});

describe('station ids', () => {
  it('three upstreams on one host:port listing the same mount get three stations, each with its own data', async () => {
    const station = await fake();
    const relay = await startRelay([station.url, `${station.url}/status-json.xsl?copy=2`, `${station.url}/status-json.xsl?copy=3`]);
    const host = new URL(station.url).host;
    expect(relay.stations.list().map((s) => s.id)).toEqual(['live', `live@${host}`, `live@${host}~2`]);
    expect(relay.health().map((h) => h.stations)).toEqual([['live'], [`live@${host}`], [`live@${host}~2`]]);
    // Every upstream updates its own station only: each is at its first state plus nothing foreign.
    expect(relay.stations.list().every((s) => s.state.track?.text === 'Artist - First')).toBe(true);
    expect(new Set(relay.stations.list()).size).toBe(3);
  });

  it('three upstreams on different ports: ids stay unique and each follows its own upstream', async () => {
    const fakes = await Promise.all([1, 2, 3].map((n) => fake({ '/live': { title: `Station ${n} - Song` } })));
    const relay = await startRelay(fakes.map((f) => f.url));
    const ids = relay.health().map((h) => h.stations[0]!);
    expect(new Set(ids).size).toBe(3);
    fakes[2]!.setTitle('live', 'Station 3 - New');
    await waitFor(() => relay.stations.get(ids[2]!)?.state.track?.text === 'Station 3 - New', 5000, 'third station updated');
    expect(ids.map((id) => relay.stations.get(id)?.state.track?.text)).toEqual(['Station 1 - Song', 'Station 2 - Song', 'Station 3 - New']);
  });
});

describe('client limits', () => {
  it('messages over the rate limit close the client with 4429; others are unaffected', async () => {
    const stack = await startStack(undefined, { clientMessageRate: 1, clientMessageBurst: 5 });
    const flooder = await TestClient.open(stack.wsUrl('live'));
    const quiet = await TestClient.open(stack.wsUrl('live'));
    await Promise.all([flooder.next('snapshot'), quiet.next('snapshot')]);
    for (let i = 0; i < 50; i++) flooder.send({ type: 'ping', id: i });
    expect(await flooder.closed).toEqual({ code: CloseCode.TooManyMessages, reason: 'too many messages' });
    expect(flooder.messages.filter((m) => m.type === 'pong').length).toBeLessThanOrEqual(6);
    stack.fake.setTitle('live', 'Still - Here');
    expect((await quiet.next('patch')).patch).toMatchObject({ track: { text: 'Still - Here' } });
  });

  it('a resync within the burst is answered (what the element sends after a gap)', async () => {
    const stack = await startStack();
    const client = await TestClient.open(stack.wsUrl('live'));
    await client.next('snapshot');
    for (let i = 0; i < 3; i++) client.send({ type: 'resync' });
    for (let i = 0; i < 3; i++) expect((await client.next('snapshot')).station).toBe('live');
    expect(client.ws.readyState).toBe(client.ws.OPEN);
  });

  it('past --max-connections: close 1013 with a reason; /healthz still answers; room again after a close', async () => {
    const stack = await startStack(undefined, { maxConnections: 3 });
    const admitted = await Promise.all([1, 2, 3].map(() => TestClient.open(stack.wsUrl('live'))));
    await Promise.all(admitted.map((c) => c.next('snapshot')));
    const refused = new TestClient(stack.wsUrl('live'));
    expect(await refused.closed).toEqual({ code: CloseCode.RelayFull, reason: 'relay full: try again later' });
    expect((await fetch(`${stack.base}/healthz`)).status).toBe(200);
    admitted[0]!.close();
    await admitted[0]!.closed;
    await waitFor(() => stack.relay.connections === 2, 3000, 'the relay to see the close');
    const next = await TestClient.open(stack.wsUrl('live'));
    expect((await next.next('snapshot')).station).toBe('live');
  });

  it('past --max-connections-per-ip: 4403; X-Forwarded-For counts only from a trusted proxy', async () => {
    const stack = await startStack(undefined, { maxConnectionsPerIp: 2, trustProxy: ['127.0.0.1'] });
    const from = (address: string) => ({ headers: { 'x-forwarded-for': address } });
    const a = await Promise.all([1, 2].map(() => TestClient.open(stack.wsUrl('live'), from('203.0.113.7'))));
    await Promise.all(a.map((c) => c.next('snapshot')));
    expect((await new TestClient(stack.wsUrl('live'), from('203.0.113.7')).closed).code).toBe(CloseCode.TooManyConnectionsFromAddress);
    const b = await TestClient.open(stack.wsUrl('live'), from('198.51.100.9'));
    expect((await b.next('snapshot')).station).toBe('live');

    const untrusting = await startStack(undefined, { maxConnectionsPerIp: 2 });
    const c = await Promise.all(['203.0.113.1', '203.0.113.2'].map((ip) => TestClient.open(untrusting.wsUrl('live'), from(ip))));
    await Promise.all(c.map((client) => client.next('snapshot')));
    // Without --trust-proxy the header is ignored: all three come from 127.0.0.1.
    expect((await new TestClient(untrusting.wsUrl('live'), from('203.0.113.3')).closed).code).toBe(CloseCode.TooManyConnectionsFromAddress);
  });
});
