import { apply, historyList, PROTOCOL_VERSION, type NowPlaying } from '@now-playing/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { closeAll, startStack, TestClient, waitFor } from './helpers.js';

afterEach(closeAll);
const open = (url: string) => TestClient.open(url);

describe('relay with a fake Icecast upstream, over real sockets', () => {
  it('sends a full snapshot at once on connect', async () => {
    const stack = await startStack({ '/live': { title: 'Sigur Rós – Hoppípolla', serverName: 'Example Live', genre: 'Test', listeners: 3 } });
    const client = await open(stack.wsUrl('live'));
    const snapshot = await client.next('snapshot', 1000);
    expect(snapshot).toMatchObject({ v: PROTOCOL_VERSION, station: 'live', heartbeat: 1000 });
    expect(snapshot.data).toMatchObject({
      station: { id: 'live', name: 'Example Live', genre: 'Test' },
      online: true,
      stale: false,
      listeners: 3,
      track: { text: 'Sigur Rós – Hoppípolla', artist: 'Sigur Rós', title: 'Hoppípolla' },
      history: {},
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
      expect(historyList(state)[0]).toMatchObject({ text: 'Artist - First' });
    }
  });

  it('a listener count change sends only the listener count', async () => {
    const stack = await startStack();
    const client = await open(stack.wsUrl('live'));
    await client.next('snapshot');
    stack.fake.setMount('/live', { listeners: 42 });
    expect((await client.next('patch')).patch).toEqual({ listeners: 42 });
  });

  it('200 clients connecting cost no upstream request: clients are served from the relay', async () => {
    // No poll falls inside this test: the first reading at start, then none for an hour.
    const stack = await startStack(undefined, { pollInterval: 3_600_000 });
    stack.fake.resetStats();
    const many = await Promise.all(Array.from({ length: 200 }, () => open(stack!.wsUrl('live'))));
    const snapshots = await Promise.all(many.map((c) => c.next('snapshot')));
    expect(snapshots.every((s) => s.data.track?.text === 'Artist - First')).toBe(true);
    expect(stack.relay.connections).toBe(200);
    expect(stack.fake.statusRequests).toBe(0);
  });

  it('200 clients: a change reaches all of them from polls that never overlap', async () => {
    const stack = await startStack(undefined, { pollInterval: 100 });
    const many = await Promise.all(Array.from({ length: 200 }, () => open(stack!.wsUrl('live'))));
    await Promise.all(many.map((c) => c.next('snapshot')));
    stack.fake.resetStats();
    stack.fake.setTitle('/live', 'Everyone - Sees This');
    const patches = await Promise.all(many.map((c) => c.next('patch')));
    expect(new Set(patches.map((p) => p.seq)).size).toBe(1);
    expect(stack.fake.statusRequests).toBeGreaterThanOrEqual(1);
    expect(stack.fake.maxConcurrentStatusRequests).toBe(1);
  });

  it('several mounts become independent stations', async () => {
    const stack = await startStack({ '/live': { title: 'A - One' }, '/second': { title: '宇多田ヒカル - 初恋' } });
    const live = await open(stack.wsUrl('live'));
    const second = await open(stack.wsUrl('second'));
    expect((await second.next('snapshot')).data.track?.artist).toBe('宇多田ヒカル');
    await live.next('snapshot');
    stack.fake.setTitle('/second', 'B - Two');
    expect((await second.next('patch')).patch).toMatchObject({ track: { text: 'B - Two' } });
    // A patch of /second leaking to /live would arrive before /live's own next patch.
    stack.fake.setTitle('/live', 'A - Next');
    expect((await live.next('patch')).patch).toMatchObject({ track: { text: 'A - Next' } });
    expect(live.messages.filter((m) => m.type === 'patch')).toHaveLength(1);
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
