import { CloseCode } from '@now-playing/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { closeAll, startStack, TestClient, waitFor } from './helpers.js';

afterEach(closeAll);
const connect = (url: string, options?: ConstructorParameters<typeof TestClient>[1]) => new TestClient(url, options);

describe('WebSocket endpoint', () => {
  it('an unknown station is closed with 4404 and a reason', async () => {
    const stack = await startStack();
    const closed = await connect(stack.wsUrl('nope')).closed;
    expect(closed).toEqual({ code: CloseCode.UnknownStation, reason: 'unknown station "nope"' });
  });

  it('without ?station= on a multi-station relay: 4400 listing the stations', async () => {
    const stack = await startStack({ '/a': { title: 'x' }, '/b': { title: 'y' } });
    const closed = await connect(stack.wsUrl()).closed;
    expect(closed.code).toBe(CloseCode.StationRequired);
    expect(closed.reason).toContain('a, b');
  });

  it('other paths are refused at the HTTP level', async () => {
    const stack = await startStack();
    const url = stack.wsUrl('live').replace('/ws?', '/elsewhere?');
    const client = connect(url);
    const error = await new Promise<Error>((resolve) => client.ws.once('error', resolve));
    expect(error.message).toContain('404');
  });

  it('malformed client messages get an error reply; the connection survives', async () => {
    const stack = await startStack();
    const client = connect(stack.wsUrl('live'));
    await client.next('snapshot');
    for (const bad of ['{nope', '[]', '{"type":"subscribe"}', '{"type":"ping","id":{"x":1}}']) {
      client.send(bad);
      expect((await client.next('error')).code).toBe('bad-message');
    }
    client.send({ type: 'ping', id: 'abc' });
    expect(await client.next('pong')).toEqual({ type: 'pong', id: 'abc' });
  });

  it('a client that keeps sending garbage is closed with 1008', async () => {
    const stack = await startStack();
    const client = connect(stack.wsUrl('live'));
    await client.next('snapshot');
    for (let i = 0; i < 10; i++) client.send('garbage');
    expect((await client.closed).code).toBe(CloseCode.PolicyViolation);
  });

  it('an oversized frame closes that client with 1009 and nothing else breaks', async () => {
    const stack = await startStack();
    const big = connect(stack.wsUrl('live'));
    const fine = connect(stack.wsUrl('live'));
    await Promise.all([big.next('snapshot'), fine.next('snapshot')]);
    big.send('x'.repeat(64 * 1024));
    expect((await big.closed).code).toBe(1009);
    stack.fake.setTitle('/live', 'Still - Working');
    expect((await fine.next('patch')).patch).toMatchObject({ track: { text: 'Still - Working' } });
  });

  it('resync answers with a fresh snapshot at the current seq', async () => {
    const stack = await startStack();
    const client = connect(stack.wsUrl('live'));
    const first = await client.next('snapshot');
    stack.fake.setTitle('/live', 'Next - One');
    await client.next('patch');
    client.send({ type: 'resync' });
    const again = await client.next('snapshot');
    expect(again.seq).toBe(first.seq + 1);
    expect(again.data.track?.text).toBe('Next - One');
  });

  it('sends the application ping every heartbeat interval', async () => {
    const stack = await startStack(undefined, { heartbeat: 150 });
    const client = connect(stack.wsUrl('live'));
    const first = await client.next('ping', 1000);
    const second = await client.next('ping', 1000);
    expect(second.t - first.t).toBeGreaterThanOrEqual(100);
  });

  it('terminates a client that stops answering protocol pings, keeps one that answers', async () => {
    const stack = await startStack(undefined, { heartbeat: 150 });
    const silent = connect(stack.wsUrl('live'), { autoPong: false });
    const alive = connect(stack.wsUrl('live'));
    await Promise.all([silent.next('snapshot'), alive.next('snapshot')]);
    const closed = await silent.closed;
    expect(closed.code).toBe(1006); // terminated: no close frame
    await waitFor(() => stack.relay.connections === 1, 3000, 'the relay to count the terminated client out');
    // Two more heartbeats: the answering client lived through the check that ended the silent one.
    await alive.next('ping');
    await alive.next('ping');
    expect(alive.ws.readyState).toBe(alive.ws.OPEN);
  });

  it('graceful shutdown closes every client with 1001', async () => {
    const stack = await startStack();
    const a = connect(stack.wsUrl('live'));
    const b = connect(stack.wsUrl('live'));
    await Promise.all([a.next('snapshot'), b.next('snapshot')]);
    const port = stack.relay.address.port;
    const stopping = stack.relay.stop(1000);
    const [ca, cb] = await Promise.all([a.closed, b.closed]);
    await stopping;
    expect(ca).toEqual({ code: 1001, reason: 'relay shutting down' });
    expect(cb.code).toBe(1001);
    await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
  });

  it('a slow consumer is dropped instead of buffering without end', async () => {
    const stack = await startStack(undefined, { maxBufferedBytes: 1024 });
    const client = connect(stack.wsUrl('live'));
    await client.next('snapshot');
    // Stop reading from the socket: the relay's queue for this client grows with each message.
    client.ws.pause();
    const filler = 'x'.repeat(200_000);
    let i = 0;
    await waitFor(
      () => {
        stack!.fake.setTitle('/live', `${filler} ${i++}`);
        return stack!.relay.connections === 0;
      },
      8000,
      'the slow client to be dropped',
    );
    expect(stack.relay.connections).toBe(0);
  });
});
