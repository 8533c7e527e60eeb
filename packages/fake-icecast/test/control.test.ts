import { describe, it, expect } from 'vitest';
import type { ControlState, FakeIcecast } from '../src/index.js';
import { rawRequest, startFake } from './helpers.js';

function control(fake: FakeIcecast, method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${fake.url}/control/${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    signal: AbortSignal.timeout(3000),
  });
}

async function errorOf(response: Response): Promise<string> {
  return ((await response.json()) as { error: string }).error;
}

describe('control API', () => {
  it('GET /control/state reports mounts, fault and statistics, with CORS', async () => {
    const fake = await startFake({ mounts: { '/live': { title: 'A' } } });
    await rawRequest(fake.statusUrl);
    const response = await control(fake, 'GET', 'state');
    expect(response.status).toBe(200);
    expect(response.headers.get('access-control-allow-origin')).toBe('*');
    const state = (await response.json()) as ControlState;
    expect(state).toEqual({
      mounts: fake.mounts(),
      fault: null,
      statusRequests: 1,
      maxConcurrentStatusRequests: 1,
    });
    expect(state.mounts['/live']).toMatchObject({ title: 'A', genre: 'Test' });
  });

  it('PUT /control/mounts/<mount> creates or merges, nested mount names included', async () => {
    const fake = await startFake();
    let response = await control(fake, 'PUT', 'mounts/radio/main', { title: 'First', listeners: 2 });
    expect(response.status).toBe(200);
    expect(((await response.json()) as ControlState).mounts['/radio/main']).toMatchObject({ title: 'First', listeners: 2 });
    response = await control(fake, 'PUT', 'mounts/radio/main', { title: null, artist: 'X' });
    expect(response.status).toBe(200);
    expect(fake.mounts()['/radio/main']).not.toHaveProperty('title');
    expect(fake.mounts()['/radio/main']).toMatchObject({ artist: 'X', listeners: 2 });
    expect(fake.statusBody()).toContain(`"listenurl":"${fake.url}/radio/main"`);
  });

  it('DELETE /control/mounts/<mount> removes it, 404 when missing', async () => {
    const fake = await startFake({ mounts: { '/live': {} } });
    expect((await control(fake, 'DELETE', 'mounts/live')).status).toBe(200);
    expect(fake.mounts()).toEqual({});
    const missing = await control(fake, 'DELETE', 'mounts/live');
    expect(missing.status).toBe(404);
    expect(await errorOf(missing)).toContain('/live');
  });

  it('PUT and DELETE /control/fault', async () => {
    const fake = await startFake();
    const response = await control(fake, 'PUT', 'fault', { kind: 'http-error', status: 502 });
    expect(((await response.json()) as ControlState).fault).toEqual({ kind: 'http-error', status: 502 });
    expect((await rawRequest(fake.statusUrl)).status).toBe(502);
    expect((await control(fake, 'DELETE', 'fault')).status).toBe(200);
    expect(fake.fault).toBeNull();
    expect((await rawRequest(fake.statusUrl)).status).toBe(200);
  });

  it('PUT /control/fault sets the hostile kinds, and rejects bad ones naming the field', async () => {
    const fake = await startFake({ mounts: { '/live': { title: 'Café – X' } } });
    const faults = [
      { kind: 'redirect-self', status: 301 },
      { kind: 'redirect', location: 'http://169.254.169.254/latest' },
      { kind: 'churn-mounts', perRequest: 2 },
      { kind: 'huge-title', chars: 10 },
      { kind: 'latin1' },
      { kind: 'binary' },
    ];
    for (const fault of faults) {
      const response = await control(fake, 'PUT', 'fault', fault);
      expect(response.status).toBe(200);
      expect(((await response.json()) as ControlState).fault).toEqual(fault);
    }
    const status = await fetch(fake.statusUrl, { signal: AbortSignal.timeout(3000) });
    expect(status.headers.get('content-type')).toBe('application/octet-stream');
    const bad = await control(fake, 'PUT', 'fault', { kind: 'redirect', location: 'not a url' });
    expect(bad.status).toBe(400);
    expect(await errorOf(bad)).toContain('"location"');
    expect(fake.fault).toEqual({ kind: 'binary' });
  });

  it('POST /control/reset-stats', async () => {
    const fake = await startFake();
    await rawRequest(fake.statusUrl);
    const state = (await (await control(fake, 'POST', 'reset-stats')).json()) as ControlState;
    expect(state.statusRequests).toBe(0);
    expect(fake.statusRequests).toBe(0);
  });

  it('rejects bad bodies with 400 and a message naming the problem', async () => {
    const fake = await startFake();
    const badJson = await control(fake, 'PUT', 'mounts/live', '{"title":');
    expect(badJson.status).toBe(400);
    expect(await errorOf(badJson)).toMatch(/^invalid JSON body/);
    const badField = await control(fake, 'PUT', 'mounts/live', { listeners: 'many' });
    expect(badField.status).toBe(400);
    expect(await errorOf(badField)).toContain('"listeners"');
    const unknownField = await control(fake, 'PUT', 'mounts/live', { colour: 'red' });
    expect(await errorOf(unknownField)).toContain('"colour"');
    const badFault = await control(fake, 'PUT', 'fault', { kind: 'explode' });
    expect(badFault.status).toBe(400);
    expect(await errorOf(badFault)).toContain('kind');
    expect(fake.mounts()).toEqual({});
    expect(fake.fault).toBeNull();
  });

  it('rejects a body over 64 KiB with 413', async () => {
    const fake = await startFake();
    const response = await control(fake, 'PUT', 'mounts/live', { title: 'x'.repeat(70 * 1024) });
    expect(response.status).toBe(413);
    expect(fake.mounts()).toEqual({});
  });

  it('answers CORS preflight', async () => {
    const fake = await startFake();
    const response = await fetch(`${fake.url}/control/fault`, {
      method: 'OPTIONS',
      headers: { origin: 'http://127.0.0.1:5173', 'access-control-request-method': 'PUT' },
      signal: AbortSignal.timeout(3000),
    });
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe('*');
    expect(response.headers.get('access-control-allow-methods')).toBe('GET, PUT, DELETE, POST');
    expect(response.headers.get('access-control-allow-headers')).toBe('content-type');
  });

  it('answers unknown endpoints with 404 and wrong methods with 405', async () => {
    const fake = await startFake();
    expect((await control(fake, 'GET', 'nothing')).status).toBe(404);
    const wrong = await control(fake, 'POST', 'state');
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('GET');
  });
});

describe('GET /admin/metadata', () => {
  const metadata = (fake: FakeIcecast, query: string, headers: Record<string, string> = {}) =>
    fetch(`${fake.url}/admin/metadata?${query}`, { headers, signal: AbortSignal.timeout(3000) });

  it('sets the title like Icecast, with or without credentials', async () => {
    const fake = await startFake({ mounts: { '/live': {} } });
    const response = await metadata(fake, 'mount=/live&mode=updinfo&song=Bj%C3%B6rk%20%E2%80%93%20J%C3%B3ga');
    expect(response.status).toBe(200);
    expect(await response.text()).toContain(
      '<iceresponse><message>Metadata update successful</message><return>1</return></iceresponse>',
    );
    expect(fake.statusBody()).toContain('"title":"Björk &#8211; Jóga"');
    const auth = { authorization: `Basic ${Buffer.from('source:hackme').toString('base64')}` };
    expect((await metadata(fake, 'mount=%2Flive&mode=updinfo&song=Next', auth)).status).toBe(200);
    expect(fake.mounts()['/live']?.title).toBe('Next');
  });

  it('joins separate artist and title parameters', async () => {
    const fake = await startFake({ mounts: { '/live': {} } });
    await metadata(fake, 'mount=/live&mode=updinfo&artist=A&title=B');
    expect(fake.mounts()['/live']?.title).toBe('A - B');
  });

  it('refuses unknown mounts and missing parameters, and reports unknown modes', async () => {
    const fake = await startFake({ mounts: { '/live': { title: 'Kept' } } });
    expect((await metadata(fake, 'mount=/nope&mode=updinfo&song=X')).status).toBe(400);
    expect((await metadata(fake, 'mount=/live&song=X')).status).toBe(400);
    expect((await metadata(fake, 'mount=/live&mode=updinfo')).status).toBe(400);
    const otherMode = await metadata(fake, 'mount=/live&mode=other&song=X');
    expect(await otherMode.text()).toContain('<return>0</return>');
    expect(fake.mounts()).toEqual({ '/live': expect.objectContaining({ title: 'Kept' }) });
  });
});
