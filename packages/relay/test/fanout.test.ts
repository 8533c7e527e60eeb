/**
 * The sliced fan-out over real sockets: a relay whose hub serves one client per slice (so every
 * fan-out here spans hundreds of event-loop turns), real `ws` clients, and changes committed back to
 * back so that fan-outs overlap. What must hold: every client sees every patch once, in order; a
 * client that connects mid-fan-out gets its snapshot and then only later patches; health checks and
 * other stations are answered while a fan-out is still under way.
 */
import { startFakeIcecast, type MountState } from '@now-playing/fake-icecast';
import { apply, jsonEqual, type NowPlaying, type ServerMessage } from '@now-playing/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { createRelay, type Relay } from '../src/index.js';
import { closeAll, FAST, onCleanup, startStack, TestClient, waitFor } from './helpers.js';

afterEach(closeAll);

const CLIENTS = 300;

/** A relay that polls once (changes come from the test, committed through its stations) with one client per slice. */
async function slicedRelay(mounts: Record<string, MountState>): Promise<{ relay: Relay; url: (station: string) => string; base: string }> {
  const fake = await startFakeIcecast({ mounts });
  const relay = createRelay(
    { upstreams: [fake.url], host: '127.0.0.1', port: 0, logLevel: 'silent', ...FAST, pollInterval: 60_000 },
    { fanout: { sliceMs: 0, turn: 1 } },
  );
  await relay.start();
  onCleanup(async () => {
    await relay.stop(500);
    await fake.close();
  });
  const port = relay.address.port;
  return { relay, base: `http://127.0.0.1:${port}`, url: (station) => `ws://127.0.0.1:${port}/ws?station=${station}` };
}

/** Commit a title change at the station, as a reading from its upstream would. */
function change(relay: Relay, stationId: string, title: string): number {
  const patch = relay.stations.get(stationId)!.applyReading({ mount: `/${stationId}`, title });
  relay.stations.emit(patch);
  return patch!.seq;
}

/**
 * What a client saw must be: one snapshot first, then patches with consecutive seqs (no gap, no
 * repeat, none at or below the snapshot's), ending in the relay's current state.
 */
function expectConsistent(messages: ServerMessage[], relay: Relay, stationId: string): void {
  const data = messages.filter((m) => m.type === 'snapshot' || m.type === 'patch');
  const [snapshot, ...patches] = data;
  expect(snapshot?.type).toBe('snapshot');
  if (snapshot?.type !== 'snapshot') return;
  let state = snapshot.data;
  let seq = snapshot.seq;
  for (const patch of patches) {
    expect(patch.type).toBe('patch');
    if (patch.type !== 'patch') return;
    expect(patch.seq).toBe(seq + 1);
    seq = patch.seq;
    state = apply<NowPlaying>(state, patch.patch);
  }
  const station = relay.stations.get(stationId)!;
  expect(seq).toBe(station.seq);
  expect(jsonEqual(state, station.state)).toBe(true);
}

const lastSeq = (client: TestClient) => {
  const last = client.messages.filter((m) => m.type === 'snapshot' || m.type === 'patch').at(-1);
  return last && 'seq' in last ? last.seq : -1;
};

async function openAll(url: string, count: number): Promise<TestClient[]> {
  const clients: TestClient[] = [];
  for (let i = 0; i < count; i += 50) clients.push(...(await Promise.all(Array.from({ length: Math.min(50, count - i) }, () => TestClient.open(url)))));
  await waitFor(() => clients.every((c) => c.messages.some((m) => m.type === 'snapshot')), 5000, 'every snapshot');
  return clients;
}

describe('sliced fan-out', () => {
  it('overlapping fan-outs: every client gets every patch once and in order, and ends in the relay’s state', async () => {
    const { relay, url } = await slicedRelay({ '/live': { title: 'Artist - Start' } });
    const clients = await openAll(url('live'), CLIENTS);
    let final = 0;
    for (let k = 1; k <= 5; k++) final = change(relay, 'live', `Artist - Song ${k}`); // five fan-outs queued at once
    expect(relay.hub.busy).toBe(true);
    await waitFor(() => clients.every((c) => lastSeq(c) === final), 10_000, 'the last patch at every client');
    for (const client of clients) expectConsistent(client.messages, relay, 'live');
  });

  it('a client that connects during a fan-out gets its snapshot, then only patches with a higher seq', async () => {
    const { relay, url } = await slicedRelay({ '/live': { title: 'Artist - Start' } });
    const early = await openAll(url('live'), CLIENTS);
    for (let k = 1; k <= 3; k++) change(relay, 'live', `Artist - Song ${k}`);
    const joinedWhileBusy: boolean[] = [];
    const late = await Promise.all(
      Array.from({ length: 5 }, async () => {
        const client = await TestClient.open(url('live'));
        joinedWhileBusy.push(relay.hub.busy); // the relay accepted it before the 101 we just read
        return client;
      }),
    );
    expect(joinedWhileBusy).toContain(true);
    let final = 0;
    for (let k = 4; k <= 5; k++) final = change(relay, 'live', `Artist - Song ${k}`);
    await waitFor(() => [...early, ...late].every((c) => lastSeq(c) === final), 10_000, 'the last patch at every client');
    for (const client of [...early, ...late]) expectConsistent(client.messages, relay, 'live');
  });

  it('the heartbeat is spread over steps: each client pinged once per period, not all at once', async () => {
    // 800 ms: eight steps of 100 ms, each pinging the clients whose phase it is.
    const stack = await startStack(undefined, { heartbeat: 800 });
    const clients = await openAll(stack.wsUrl('live'), 16);
    const pings = (client: TestClient) => client.messages.filter((m) => m.type === 'ping').map((m) => (m.type === 'ping' ? m.t : 0));
    await waitFor(() => clients.every((c) => pings(c).length >= 2), 10_000, 'two pings at every client');
    const firstPings = new Set(clients.map((c) => pings(c)[0]));
    expect(firstPings.size).toBeGreaterThanOrEqual(4); // eight steps for sixteen clients: not one burst
    for (const client of clients) expect(client.ws.readyState).toBe(client.ws.OPEN); // answering clients stay
  });

  it('/healthz, a new handshake and another station are answered while a fan-out is under way', async () => {
    const { relay, url, base } = await slicedRelay({ '/big': { title: 'Big - Start' }, '/small': { title: 'Small - Start' } });
    await openAll(url('big'), CLIENTS);
    const [small] = await openAll(url('small'), 1);
    for (let k = 1; k <= 10; k++) change(relay, 'big', `Big - Song ${k}`); // thousands of slices
    const smallSeq = change(relay, 'small', 'Small - Next');

    const health = await fetch(`${base}/healthz`);
    expect(health.status).toBe(200);
    expect(relay.hub.busy).toBe(true);

    const newcomer = await TestClient.open(url('big'));
    await newcomer.next('snapshot');
    expect(relay.hub.busy).toBe(true);

    await waitFor(() => lastSeq(small!) === smallSeq, 5000, 'the small station’s patch');
    expect(relay.hub.busy).toBe(true);
    await relay.hub.drained();
  });
});
