/**
 * `GET /metrics`, scraped over HTTP from a real relay while real clients and a real (fake) upstream
 * make the numbers move.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { closeAll, startStack, TestClient, waitFor, type Stack } from './helpers.js';

afterEach(closeAll);

/** The samples of a Prometheus text exposition: `name{labels}` → value. */
async function scrape(stack: Stack): Promise<{ sample: (name: string, labels?: Record<string, string>) => number | undefined; text: string; type: string | null }> {
  const res = await fetch(`${stack.base}/metrics`);
  expect(res.status).toBe(200);
  const text = await res.text();
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(\{.*\})? (\S+)$/.exec(line);
    if (match) samples.set(`${match[1]}${match[2] ?? ''}`, Number(match[3]));
  }
  const key = (name: string, labels: Record<string, string>) => {
    const entries = Object.entries(labels);
    return entries.length === 0 ? name : `${name}{${entries.map(([k, v]) => `${k}="${v}"`).join(',')}}`;
  };
  return { text, type: res.headers.get('content-type'), sample: (name, labels = {}) => samples.get(key(name, labels)) };
}

describe('GET /metrics', () => {
  it('is Prometheus text with the process metrics and the relay’s own', async () => {
    const stack = await startStack();
    const { text, type, sample } = await scrape(stack);
    expect(type).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(text).toContain('# TYPE now_playing_clients gauge');
    expect(text).toContain('# HELP now_playing_refusals_total');
    expect(sample('now_playing_stations')).toBe(1);
    expect(sample('now_playing_clients', { station: 'live' })).toBe(0);
    expect(sample('process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(text).toContain('nodejs_eventloop_lag_p99_seconds');
  });

  it('clients per station, messages and bytes sent move with clients and changes', async () => {
    const stack = await startStack();
    const clients = await Promise.all([1, 2, 3].map(() => TestClient.open(stack.wsUrl('live'))));
    const snapshots = await Promise.all(clients.map((c) => c.next('snapshot')));
    let metrics = await scrape(stack);
    expect(metrics.sample('now_playing_clients', { station: 'live' })).toBe(3);
    expect(metrics.sample('now_playing_messages_sent_total', { type: 'snapshot' })).toBe(3);
    const snapshotBytes = snapshots.reduce((sum, s) => sum + Buffer.byteLength(JSON.stringify(s)), 0);
    expect(metrics.sample('now_playing_bytes_sent_total', { type: 'snapshot' })).toBe(snapshotBytes);

    stack.fake.setTitle('/live', 'Next - Song');
    const patches = await Promise.all(clients.map((c) => c.next('patch')));
    await stack.relay.hub.drained();
    metrics = await scrape(stack);
    expect(metrics.sample('now_playing_messages_sent_total', { type: 'patch' })).toBe(3);
    expect(metrics.sample('now_playing_bytes_sent_total', { type: 'patch' })).toBe(3 * Buffer.byteLength(JSON.stringify(patches[0])));

    clients[0]!.close();
    await waitFor(() => stack.relay.connections === 2, 3000, 'the relay to count the client out');
    expect((await scrape(stack)).sample('now_playing_clients', { station: 'live' })).toBe(2);
  });

  it('refusals by close code, and dropped clients by reason', async () => {
    const stack = await startStack(undefined, { maxConnections: 2, heartbeat: 150, clientMessageBurst: 2, clientMessageRate: 1 });
    const unknown = new TestClient(stack.wsUrl('nope'));
    expect((await unknown.closed).code).toBe(4404);
    const flooder = await TestClient.open(stack.wsUrl('live'));
    for (let i = 0; i < 5; i++) flooder.send({ type: 'resync' });
    expect((await flooder.closed).code).toBe(4429);
    await waitFor(() => stack.relay.connections === 0, 3000, 'the flooder counted out');
    // A client that never answers protocol pings is dropped at the second heartbeat.
    const silent = new TestClient(stack.wsUrl('live'), { autoPong: false });
    const other = await TestClient.open(stack.wsUrl('live'));
    const full = new TestClient(stack.wsUrl('live'));
    expect((await full.closed).code).toBe(1013);
    expect((await silent.closed).code).toBe(1006);
    other.close();

    const { sample } = await scrape(stack);
    expect(sample('now_playing_refusals_total', { code: '4404' })).toBe(1);
    expect(sample('now_playing_refusals_total', { code: '4429' })).toBe(1);
    expect(sample('now_playing_refusals_total', { code: '1013' })).toBe(1);
    expect(sample('now_playing_clients_dropped_total', { reason: 'missed a heartbeat' })).toBeGreaterThanOrEqual(1);
  });

  it('upstream request durations by outcome, and failures by reason', async () => {
    const stack = await startStack();
    const upstream = stack.relay.upstreams[0]!.url;
    const ok = (await scrape(stack)).sample('now_playing_upstream_request_duration_seconds_count', { upstream, outcome: 'ok' });
    expect(ok).toBeGreaterThanOrEqual(1); // the first poll, before the relay listened
    stack.fake.setFault({ kind: 'slow', delayMs: 150 });
    const before = stack.fake.statusRequests;
    await waitFor(() => stack.fake.statusRequests >= before + 2, 5000, 'a slow poll answered'); // the first slow one ended
    stack.fake.setFault({ kind: 'http-error', status: 503 });
    await waitFor(() => stack.relay.health()[0]!.consecutiveFailures >= 2, 5000, 'two failed polls');
    const { sample } = await scrape(stack);
    expect(sample('now_playing_upstream_errors_total', { upstream, reason: 'HTTP 503' })).toBeGreaterThanOrEqual(2);
    expect(sample('now_playing_upstream_request_duration_seconds_count', { upstream, outcome: 'error' })).toBeGreaterThanOrEqual(2);
    // The slow answers (150 ms) are above the 0.1 s bucket: its count is below the total of good polls.
    const fast = sample('now_playing_upstream_request_duration_seconds_bucket', { le: '0.1', upstream, outcome: 'ok' })!;
    const all = sample('now_playing_upstream_request_duration_seconds_count', { upstream, outcome: 'ok' })!;
    expect(all - fast).toBeGreaterThanOrEqual(1);
  });

  it('a protocol ping from a client is answered, within the message rate limit', async () => {
    const stack = await startStack(undefined, { clientMessageBurst: 3, clientMessageRate: 1 });
    const client = await TestClient.open(stack.wsUrl('live'));
    await client.next('snapshot');
    const pong = new Promise<Buffer>((resolve) => client.ws.once('pong', resolve));
    client.ws.ping('hello');
    expect((await pong).toString()).toBe('hello');
    for (let i = 0; i < 5; i++) client.ws.ping();
    expect((await client.closed).code).toBe(4429);
    expect((await scrape(stack)).sample('now_playing_refusals_total', { code: '4429' })).toBe(1);
  });
});
