/**
 * Attack 6: an upstream whose title is 1,000,000 characters (found: `/stations/live` was 22 MB and so
 * was every patch). The relay must cut it down: the HTTP state and every WebSocket frame stay under
 * 16 KB, for clients connected before and after, and the relay stays small and quick over 10 polls
 * of megabyte answers.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { assertRelayBuilt, baseline, cleanup, expectBounds, httpGet, record, startFake, startMonitor, startRelay, summary, waitFor, WsClient } from './harness.js';

afterEach(cleanup);
beforeAll(assertRelayBuilt);

const CHARS = 1_000_000;
const MAX_BYTES = 16 * 1024;
const POLLS = 10;

describe('huge title', () => {
  it(`a ${CHARS.toLocaleString('en')}-character title: /stations/<id> and every frame < 16 KB, bounded memory`, async () => {
    const fake = await startFake();
    const relay = await startRelay(fake.url, ['--poll-interval', '200']);
    const base = await baseline(relay);
    const before = (await httpGet(`${relay.url}/stations/live`)).body;
    const monitor = startMonitor(relay);
    fake.resetStats();
    fake.setFault({ kind: 'huge-title', chars: CHARS });

    // The relay has taken the huge answer in (cut down, or refused and marked stale)...
    await base.client.next('patch', 5000);
    await waitFor(async () => (await httpGet(`${relay.url}/stations/live`)).body !== before, 5000, '/stations/live to change');
    // ...and keeps taking it in for a while.
    await waitFor(() => fake.statusRequests >= POLLS, 10_000, `${POLLS} polls of the huge answer`);
    const late = await WsClient.open(relay.wsUrl('live'));
    await late.next('snapshot', 5000);
    const state = await httpGet(`${relay.url}/stations/live`);
    const list = await httpGet(`${relay.url}/stations`);
    const report = await monitor.stop();

    const track = (JSON.parse(state.body) as { track?: { text?: string } }).track;
    const numbers = {
      polls: fake.statusRequests,
      stateBytes: state.bytes,
      stationsBytes: list.bytes,
      trackTextChars: track?.text?.length,
      framesBefore: base.client.frames,
      maxFrameBytes: base.client.maxFrameBytes,
      lateSnapshotBytes: late.maxFrameBytes,
      baselineMb: Number(base.rssMb.toFixed(1)),
      monitor: summary(report),
    };
    record('huge title', numbers);
    const text = JSON.stringify(numbers);

    expect(relay.alive(), relay.describe()).toBe(true);
    expect(state.status).toBe(200);
    expect(state.bytes, `/stations/live: ${text}`).toBeLessThan(MAX_BYTES);
    expect(list.bytes, `/stations: ${text}`).toBeLessThan(MAX_BYTES);
    expect(base.client.maxFrameBytes, `a frame to a connected client: ${text}`).toBeLessThan(MAX_BYTES);
    expect(late.maxFrameBytes, `the snapshot to a new client: ${text}`).toBeLessThan(MAX_BYTES);
    expectBounds(report, base.rssMb, { rssGrowthMb: 64, healthzMs: 500 });
  });
});
