import { afterEach, describe, expect, it } from 'vitest';
import { closeAll, startStack, waitFor } from './helpers.js';

afterEach(closeAll);

describe('HTTP API', () => {
  it('GET /stations/<id>: the current NowPlaying with ETag, 304 on If-None-Match, CORS', async () => {
    const stack = await startStack({ '/live': { title: 'A - One', serverName: 'Live' } });
    const res = await fetch(`${stack.base}/stations/live`, { headers: { origin: 'https://station.example' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('content-type')).toContain('application/json');
    const etag = res.headers.get('etag');
    expect(etag).toMatch(/^".+"$/);
    const body = (await res.json()) as { track: { text: string }; station: { name: string } };
    expect(body).toMatchObject({ station: { id: 'live', name: 'Live' }, track: { text: 'A - One' } });

    const cached = await fetch(`${stack.base}/stations/live`, { headers: { 'if-none-match': etag! } });
    expect(cached.status).toBe(304);

    stack.fake.setTitle('/live', 'B - Two');
    await waitFor(() => stack!.relay.stations.get('live')!.state.track?.text === 'B - Two');
    const changed = await fetch(`${stack.base}/stations/live`, { headers: { 'if-none-match': etag! } });
    expect(changed.status).toBe(200);
    expect(changed.headers.get('etag')).not.toBe(etag);
  });

  it('answers CORS preflight', async () => {
    const stack = await startStack();
    const res = await fetch(`${stack.base}/stations/live`, { method: 'OPTIONS' });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-methods')).toContain('GET');
    expect(res.headers.get('access-control-allow-headers')).toContain('if-none-match');
  });

  it('GET /stations lists stations; ids with slashes work', async () => {
    const stack = await startStack({ '/live': { title: 'x', serverName: 'Live' }, '/radio/hq.mp3': { title: 'y' } });
    const list = (await (await fetch(`${stack.base}/stations`)).json()) as { stations: { id: string; href: string; ws: string }[] };
    expect(list.stations.map((s) => s.id).sort()).toEqual(['live', 'radio/hq.mp3']);
    const hq = list.stations.find((s) => s.id === 'radio/hq.mp3')!;
    expect(hq.ws).toBe('/ws?station=radio%2Fhq.mp3');
    expect(((await (await fetch(`${stack.base}${hq.href}`)).json()) as { track: { text: string } }).track.text).toBe('y');
  });

  it('GET /healthz reports per-upstream state', async () => {
    const stack = await startStack();
    const ok = (await (await fetch(`${stack.base}/healthz`)).json()) as Record<string, unknown>;
    expect(ok).toMatchObject({ status: 'ok', clients: 0, upstreams: [{ url: stack.fake.statusUrl, state: 'ok', stations: ['live'] }] });
    stack.fake.setFault({ kind: 'http-error', status: 500 });
    await waitFor(() => stack!.relay.stations.get('live')!.state.stale);
    const bad = await fetch(`${stack.base}/healthz`);
    expect(bad.status).toBe(200);
    expect(await bad.json()).toMatchObject({ status: 'degraded', upstreams: [{ state: 'failing', lastError: 'HTTP 500' }] });
  });

  it('unknown routes and stations are 404 with a fixed JSON reason (never the request echoed); other methods 405', async () => {
    const stack = await startStack();
    const missing = await fetch(`${stack.base}/stations/nope`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: 'unknown station' });
    expect((await fetch(`${stack.base}/stations/%E0%A4%A`)).status).toBe(404);
    expect((await fetch(`${stack.base}/elsewhere`)).status).toBe(404);
    expect((await fetch(`${stack.base}/stations`, { method: 'POST' })).status).toBe(405);
  });
});

describe('GET /now-playing.js', () => {
  it('serves the element bundles from bundleDir with CORS, long cache and ETag', async () => {
    const { mkdtemp, writeFile } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const dir = await mkdtemp(`${tmpdir()}/np-bundle-`);
    await writeFile(`${dir}/now-playing.js`, 'export const esm = 1;');
    await writeFile(`${dir}/now-playing.iife.js`, 'var classic = 1;');
    for (const history of ['now-playing-history.js', 'now-playing-history.iife.js']) await writeFile(`${dir}/${history}`, 'var history = 1;');
    const stack = await startStack(undefined, { bundleDir: dir });
    const res = await fetch(`${stack.base}/now-playing.js`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('export const esm = 1;');
    expect(res.headers.get('content-type')).toContain('text/javascript');
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('cache-control')).toMatch(/max-age=\d+/);
    const again = await fetch(`${stack.base}/now-playing.js`, { headers: { 'if-none-match': res.headers.get('etag')! } });
    expect(again.status).toBe(304);
    expect(await (await fetch(`${stack.base}/now-playing.iife.js`)).text()).toBe('var classic = 1;');
    expect((await fetch(`${stack.base}/other.js`)).status).toBe(404);
  });

  it('a relay without bundles answers a 404 that says so (a bundleDir without them is refused at startup: bundles.test.ts)', async () => {
    const stack = await startStack();
    const res = await fetch(`${stack.base}/now-playing.js`);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: 'this relay serves no element bundle' });
  });
});
