import { describe, it, expect } from 'vitest';
import { startFakeIcecast } from '../src/index.js';
import { fixture, keyPaths, rawRequest, startFake } from './helpers.js';

const TIME_KEYS = new Set(['server_start', 'server_start_iso8601', 'stream_start', 'stream_start_iso8601']);

/** Blanks what differs between runs: times, location, the port in listenurl. */
function normalise(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(normalise);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, member]) => {
      if (TIME_KEYS.has(key)) return [key, 'TIME'];
      if (key === 'location') return [key, 'LOCATION'];
      if (key === 'listenurl') return [key, String(member).replace(/:\d+\//, ':PORT/')];
      return [key, normalise(member)];
    }),
  );
}

describe('GET /status-json.xsl', () => {
  it('answers like the captured server: same JSON, same key order, same references', async () => {
    const fake = await startFake({
      mounts: {
        '/second': { serverName: 'Example Second', description: 'Example test stream (/second)', title: '宇多田ヒカル - 初恋' },
        live: { serverName: 'Example Live', description: 'Example test stream (/live)', title: 'Sigur Rós – Hoppípolla' },
      },
    });
    const response = await fetch(fake.statusUrl, { signal: AbortSignal.timeout(3000) });
    const body = await response.text();
    const expected = fixture('status-json-2mounts.json');
    expect(normalise(JSON.parse(body))).toEqual(normalise(JSON.parse(expected)));
    expect(keyPaths(JSON.parse(body))).toEqual(keyPaths(JSON.parse(expected)));
    expect(body).toContain('"title":"Sigur Rós &#8211; Hoppípolla"');
    expect(body).toContain('&#23431;&#22810;&#30000;&#12498;&#12459;&#12523; - &#21021;&#24651;');
    expect(body).toContain(`"listenurl":"${fake.url}/live"`);
    expect(body).toMatch(/"server_start":"\w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} \+0000"/);
    expect(body).toMatch(/"server_start_iso8601":"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+0000"/);
    expect(body).toBe(fake.statusBody());
  });

  it('sends Icecast headers in Icecast order', async () => {
    const fake = await startFake({ mounts: { '/live': { title: 'Björk – Jóga' } } });
    const response = await rawRequest(fake.statusUrl);
    expect(response.status).toBe(200);
    const names = response.rawHeaders.filter((_, i) => i % 2 === 0);
    expect(names).toEqual(['Server', 'Connection', 'Date', 'Content-Type', 'Cache-Control', 'Expires', 'Pragma', 'Content-Length']);
    expect(response.headers).toMatchObject({
      server: 'Icecast 2.4.4',
      connection: 'Close',
      'content-type': 'application/json; charset=UTF-8',
      'cache-control': 'no-cache, no-store',
      expires: 'Mon, 26 Jul 1997 05:00:00 GMT',
      pragma: 'no-cache',
      'content-length': String(Buffer.byteLength(response.body)),
    });
    expect(response.body).toContain('"title":"Björk &#8211; Jóga"');
  });

  it('answers HEAD with 400 and does not count it', async () => {
    const fake = await startFake();
    const response = await fetch(fake.statusUrl, { method: 'HEAD', signal: AbortSignal.timeout(3000) });
    expect(response.status).toBe(400);
    expect(fake.statusRequests).toBe(0);
  });

  it('answers unknown paths with 404', async () => {
    const fake = await startFake();
    const response = await fetch(`${fake.url}/status.xsl`, { signal: AbortSignal.timeout(3000) });
    expect(response.status).toBe(404);
    expect(await response.text()).toContain('404');
  });

  it('starts with no mounts by default, listening on 127.0.0.1', async () => {
    const fake = await startFake();
    expect(fake.url).toBe(`http://127.0.0.1:${fake.port}`);
    expect(fake.statusUrl).toBe(`${fake.url}/status-json.xsl`);
    expect(fake.port).toBeGreaterThan(0);
    const body = await (await fetch(fake.statusUrl, { signal: AbortSignal.timeout(3000) })).text();
    expect(body).toContain('"host":"127.0.0.1","location":"fake-icecast"');
    expect(body).toMatch(/"dummy":null}}$/);
  });
});

describe('mounts', () => {
  it('setMount creates with defaults and merges; setTitle, removeMount and clearMounts change the body', async () => {
    const fake = await startFake();
    fake.setMount('live', { genre: 'Jazz', listeners: 4 });
    fake.setMount('/live', { title: 'One' });
    expect(fake.mounts()).toEqual({
      '/live': {
        serverName: 'Fake /live',
        description: 'Fake test stream (/live)',
        genre: 'Jazz',
        listeners: 4,
        serverType: 'audio/mpeg',
        title: 'One',
      },
    });
    fake.setTitle('/live', 'Two');
    expect(fake.statusBody()).toContain('"title":"Two"');
    fake.setTitle('/live', null);
    expect(fake.statusBody()).not.toContain('"title"');
    expect(fake.mounts()['/live']).not.toHaveProperty('title');
    fake.setMount('/other', {});
    expect(Array.isArray(JSON.parse(fake.statusBody()).icestats.source)).toBe(true);
    fake.removeMount('/other');
    expect(JSON.parse(fake.statusBody()).icestats.source).toMatchObject({ genre: 'Jazz' });
    fake.clearMounts();
    expect(JSON.parse(fake.statusBody()).icestats).not.toHaveProperty('source');
  });

  it('tracks the listener peak', async () => {
    const fake = await startFake({ mounts: { '/live': { listeners: 5 } } });
    fake.setMount('/live', { listeners: 2 });
    expect(JSON.parse(fake.statusBody()).icestats.source).toMatchObject({ listeners: 2, listener_peak: 5 });
  });

  it('rejects a bad patch with a TypeError naming the field', async () => {
    const fake = await startFake();
    expect(() => fake.setMount('/live', { listeners: -1 })).toThrow(/listeners/);
    expect(() => fake.setMount('/live', { nope: 1 } as never)).toThrow(/nope/);
    expect(() => fake.setMount('', {})).toThrow(TypeError);
    expect(fake.mounts()).toEqual({});
  });

  it('gives start-up mounts the server start as stream start', async () => {
    const fake = await startFake({ mounts: { '/live': {} } });
    const { icestats } = JSON.parse(fake.statusBody());
    expect(icestats.source.stream_start).toBe(icestats.server_start);
  });
});

describe('request statistics', () => {
  it('counts status requests, faulty ones included, and resets', async () => {
    const fake = await startFake({ mounts: { '/live': {} } });
    for (let i = 0; i < 3; i++) await rawRequest(fake.statusUrl);
    fake.setFault({ kind: 'http-error' });
    await rawRequest(fake.statusUrl);
    await rawRequest(`${fake.url}/control/state`);
    expect(fake.statusRequests).toBe(4);
    expect(fake.maxConcurrentStatusRequests).toBe(1);
    fake.resetStats();
    expect(fake.statusRequests).toBe(0);
    expect(fake.maxConcurrentStatusRequests).toBe(0);
  });

  it('records the highest number of status requests in flight', async () => {
    const fake = await startFake();
    fake.setFault({ kind: 'slow', delayMs: 200 });
    const responses = await Promise.all([1, 2, 3].map(() => rawRequest(fake.statusUrl)));
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(fake.maxConcurrentStatusRequests).toBe(3);
    fake.setFault(null);
    await rawRequest(fake.statusUrl);
    expect(fake.maxConcurrentStatusRequests).toBe(3);
    expect(fake.statusRequests).toBe(4);
  });
});

describe('startFakeIcecast', () => {
  it('fails when the port is taken', async () => {
    const fake = await startFake();
    await expect(startFakeIcecast({ port: fake.port })).rejects.toThrow(/EADDRINUSE/);
  });

  it('close() stops answering', async () => {
    const fake = await startFakeIcecast();
    await fake.close();
    await expect(rawRequest(fake.statusUrl)).rejects.toThrow(/ECONNREFUSED/);
    await fake.close(); // idempotent
  });
});
