import { apply, type NowPlaying } from '@now-playing/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { closeAll, sleep, startStack, TestClient, waitFor } from './helpers.js';

afterEach(closeAll);
const open = (url: string) => TestClient.open(url);

describe('relay with a fake Icecast upstream, over real sockets', () => {
  it('sends a full snapshot at once on connect', async () => {
    const stack = await startStack({ '/live': { title: 'Sigur Rós – Hoppípolla', serverName: 'Example Live', genre: 'Test', listeners: 3 } });
    const client = await open(stack.wsUrl('live'));
    const snapshot = await client.next('snapshot', 1000);
    expect(snapshot).toMatchObject({ v: 1, station: 'live', heartbeat: 1000 });
    expect(snapshot.data).toMatchObject({
      station: { id: 'live', name: 'Example Live', genre: 'Test' },
      online: true,
      stale: false,
      listeners: 3,
      track: { text: 'Sigur Rós – Hoppípolla', artist: 'Sigur Rós', title: 'Hoppípolla' },
      history: [],
    });
    expect(Date.parse(snapshot.data.startedAt!)).toBeGreaterThan(Date.now() - 60_000);
  });

  it('with one station the station parameter may be omitted', async () => {
    const stack = await startStack();
    const client = await open(stack.wsUrl());
    expect((await client.next('snapshot')).station).toBe('live');
  });

  it('a title change reaches every client as a patch with the next seq', async () => {
    const stack = await startStack();
    const a = await open(stack.wsUrl('live'));
    const b = await open(stack.wsUrl('live'));
    const [sa, sb] = await Promise.all([a.next('snapshot'), b.next('snapshot')]);
    expect(sa.seq).toBe(sb.seq);
    stack.fake.setTitle('/live', 'Björk - Jóga');
    for (const [client, snapshot] of [[a, sa], [b, sb]] as const) {
      const patch = await client.next('patch');
      expect(patch.seq).toBe(snapshot.seq + 1);
      const state = apply<NowPlaying>(snapshot.data, patch.patch);
      expect(state.track).toEqual({ text: 'Björk - Jóga', artist: 'Björk', title: 'Jóga' });
      expect(state.history[0]).toMatchObject({ text: 'Artist - First' });
    }
  });

  it('a listener count change sends only the listener count', async () => {
    const stack = await startStack();
    const client = await open(stack.wsUrl('live'));
    await client.next('snapshot');
    stack.fake.setMount('/live', { listeners: 42 });
    expect((await client.next('patch')).patch).toEqual({ listeners: 42 });
  });

  it('200 clients cost one upstream request per poll interval, never two in flight', async () => {
    const stack = await startStack(undefined, { pollInterval: 100 });
    const many = await Promise.all(Array.from({ length: 200 }, () => open(stack!.wsUrl('live'))));
    await Promise.all(many.map((c) => c.next('snapshot')));
    stack.fake.resetStats();
    const started = Date.now();
    stack.fake.setTitle('/live', 'Everyone - Sees This');
    await Promise.all(many.map((c) => c.next('patch')));
    await sleep(1000 - (Date.now() - started));
    const elapsed = Date.now() - started;
    const requests = stack.fake.statusRequests;
    // One request per 100 ms interval (±1 at the window's edges), whatever the number of clients.
    expect(requests).toBeLessThanOrEqual(Math.floor(elapsed / 100) + 1);
    expect(requests).toBeGreaterThanOrEqual(Math.floor(elapsed / 100) - 2);
    expect(stack.fake.maxConcurrentStatusRequests).toBe(1);
    expect(stack.relay.connections).toBe(200);
  });

  it('several mounts become independent stations', async () => {
    const stack = await startStack({ '/live': { title: 'A - One' }, '/second': { title: '宇多田ヒカル - 初恋' } });
    const live = await open(stack.wsUrl('live'));
    const second = await open(stack.wsUrl('second'));
    expect((await second.next('snapshot')).data.track?.artist).toBe('宇多田ヒカル');
    await live.next('snapshot');
    stack.fake.setTitle('/second', 'B - Two');
    expect((await second.next('patch')).patch).toMatchObject({ track: { text: 'B - Two' } });
    await sleep(300);
    expect(live.messages.filter((m) => m.type === 'patch')).toEqual([]);
  });

  it('a mount that appears later becomes a station; one that vanishes goes offline and keeps its last track', async () => {
    const stack = await startStack({ '/live': { title: 'A - One' } });
    stack.fake.setMount('/late', { title: 'Late - Show' });
    await waitFor(() => stack!.relay.stations.get('late') !== undefined);
    const late = await open(stack.wsUrl('late'));
    expect((await late.next('snapshot')).data.track?.text).toBe('Late - Show');
    stack.fake.removeMount('/late');
    const patch = await late.next('patch');
    expect(patch.patch).toMatchObject({ online: false });
    expect(stack.relay.stations.get('late')!.state.track?.text).toBe('Late - Show');
  });

  it('switching from one mount to several and back keeps stations and ids', async () => {
    const stack = await startStack({ '/live': { title: 'A - One' } });
    const live = await open(stack.wsUrl('live'));
    await live.next('snapshot');
    stack.fake.setMount('/second', { title: 'B - Two' });
    await waitFor(() => stack!.relay.stations.list().length === 2);
    stack.fake.setTitle('/live', 'A - Again');
    expect((await live.next('patch')).patch).toMatchObject({ track: { text: 'A - Again' } });
    stack.fake.removeMount('/second');
    stack.fake.setTitle('/live', 'A - Third');
    expect((await live.next('patch')).patch).toMatchObject({ track: { text: 'A - Third' } });
  });
});
