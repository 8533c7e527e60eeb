import { apply, historyList, type NowPlaying } from '@now-playing/protocol';
import type { Fault } from '@now-playing/fake-icecast';
import { afterEach, describe, expect, it } from 'vitest';
import { closeAll, startStack, TestClient, waitFor } from './helpers.js';

afterEach(closeAll);

describe('a failing upstream', () => {
  it.each<[string, Fault, string]>([
    ['HTTP 500', { kind: 'http-error', status: 500 }, 'HTTP 500'],
    ['a hang', { kind: 'hang' }, 'timeout'],
    ['invalid JSON', { kind: 'invalid-json' }, 'invalid JSON'],
    ['a huge body', { kind: 'huge', bytes: 5 * 1024 * 1024 }, 'response larger than 1048576 bytes'],
    ['a huge body without Content-Length', { kind: 'huge', bytes: 5 * 1024 * 1024, chunked: true }, 'response larger than 1048576 bytes'],
    ['a reset connection', { kind: 'reset' }, 'connection reset'],
    ['an answer slower than the timeout', { kind: 'slow', delayMs: 1000 }, 'timeout'],
  ])('%s: stale is pushed, the last data kept, recovery pushed', async (_name, fault, reason) => {
    const stack = await startStack({ '/live': { title: 'Kept - Title', listeners: 7 } }, { maxBodyBytes: 1024 * 1024 });
    const client = await TestClient.open(stack.wsUrl('live'));
    const snapshot = await client.next('snapshot');
    let state = snapshot.data;

    stack.fake.setFault(fault);
    const stale = await client.next('patch', 3000);
    expect(stale.seq).toBe(snapshot.seq + 1);
    state = apply<NowPlaying>(state, stale.patch);
    expect(state.stale).toBe(true);
    expect(state.staleReason).toBe(reason);
    expect(state.track?.text).toBe('Kept - Title');
    expect(state.listeners).toBe(7);
    expect(stack.relay.stations.get('live')!.state).toEqual(state);

    stack.fake.setFault(null);
    stack.fake.setTitle('/live', 'Back - Again');
    // Recovery may take a backoff period (at most maxBackoff = 400 ms here).
    let recovered = state;
    while (recovered.stale || recovered.track?.text !== 'Back - Again') {
      recovered = apply<NowPlaying>(recovered, (await client.next('patch', 3000)).patch);
    }
    expect(recovered).toMatchObject({ stale: false, online: true, track: { text: 'Back - Again' } });
    expect(recovered.staleReason).toBeUndefined();
    expect(historyList(recovered)[0]?.text).toBe('Kept - Title');
  });

  it('backs off while failing, one request per poll, never two in flight', async () => {
    const stack = await startStack(undefined, { pollInterval: 100, maxBackoff: 800 });
    stack.fake.setFault({ kind: 'http-error', status: 503 });
    stack.fake.resetStats();
    const failures = () => stack.relay.health()[0]!.consecutiveFailures;
    await waitFor(() => failures() >= 4, 5000, 'four failed polls');
    const fourth = Date.now();
    await waitFor(() => failures() >= 5, 5000, 'the fifth failed poll');
    // The wait before the fifth poll is 100 × 2³ = 800 ms (jitter −20 %, capped at 800): healthy
    // polling would have come back after 100 ms. A lower bound only, so a busy machine cannot fail it.
    expect(Date.now() - fourth).toBeGreaterThanOrEqual(640 - 25);
    expect(stack.fake.statusRequests).toBeLessThanOrEqual(failures() + 1);
    expect(stack.fake.maxConcurrentStatusRequests).toBe(1);
  });

  it('an upstream that is down from the start: the relay still starts and reports it', async () => {
    const { createRelay } = await import('../src/index.js');
    const { createServer } = await import('node:net');
    // A port that was free a moment ago: nothing listens there, so connecting is refused.
    const probe = createServer().listen(0, '127.0.0.1');
    await new Promise((r) => probe.once('listening', r));
    const port = (probe.address() as { port: number }).port;
    await new Promise((r) => probe.close(r));
    const relay = createRelay({ upstreams: [`http://127.0.0.1:${port}/`], host: '127.0.0.1', port: 0, logLevel: 'silent', requestTimeout: 300 });
    await relay.start();
    try {
      const health = (await (await fetch(`${relay.url}/healthz`)).json()) as { status: string; upstreams: { state: string; lastError: string }[] };
      expect(health.status).toBe('degraded');
      expect(health.upstreams[0]).toMatchObject({ state: 'failing', lastError: 'connection refused' });
    } finally {
      await relay.stop(100);
    }
  });
});

describe("Icecast 2.4's quirks, served by the fake as the real server writes them", () => {
  it.each([
    ['a title of "-" (bare `- `)', '-', undefined],
    ['a numeric title', '1999', '1999'],
    ['a numeric title with a leading zero (invalid JSON)', '007', '007'],
    ['control characters (raw, invalid JSON)', 'Tab\there - New\nline', 'Tab here - New line'],
    ['characters outside Latin-1 (&#8211;)', 'Sigur Rós – Hoppípolla', 'Sigur Rós – Hoppípolla'],
    ['emoji and Japanese', '🎵 宇多田ヒカル - 初恋', '🎵 宇多田ヒカル - 初恋'],
    ['markup', '<img src=x onerror=alert(1)> - "quoted" & more', '<img src=x onerror=alert(1)> - "quoted" & more'],
  ])('%s', async (_name, title, expected) => {
    const stack = await startStack({ '/live': { title: 'Before - Change' } });
    const client = await TestClient.open(stack.wsUrl('live'));
    const snapshot = await client.next('snapshot');
    stack.fake.setTitle('/live', title);
    const state = apply<NowPlaying>(snapshot.data, (await client.next('patch')).patch);
    expect(state.stale).toBe(false);
    expect(state.track?.text).toBe(expected);
  });

  it('a mount without a title has no track (not null, not "undefined")', async () => {
    const stack = await startStack({ '/live': { title: null } });
    const client = await TestClient.open(stack.wsUrl('live'));
    const { data } = await client.next('snapshot');
    expect(data.track).toBeUndefined();
    expect(JSON.stringify(data)).not.toMatch(/null|undefined/);
  });

  it('a separate artist field (Ogg mounts) is used as given', async () => {
    const stack = await startStack({ '/live': { title: 'Song', artist: 'Band', serverType: 'application/ogg' } });
    const client = await TestClient.open(stack.wsUrl('live'));
    expect((await client.next('snapshot')).data.track).toEqual({ text: 'Band - Song', artist: 'Band', title: 'Song' });
  });
});
