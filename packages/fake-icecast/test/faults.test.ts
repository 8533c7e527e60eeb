import { describe, it, expect } from 'vitest';
import { parseFault, startFakeIcecast } from '../src/index.js';
import { rawRequest, startFake } from './helpers.js';

const mounts = { '/live': { title: 'Artist - Title' } };

async function bodyLength(response: Response): Promise<number> {
  let length = 0;
  for await (const chunk of response.body!) length += chunk.length;
  return length;
}

describe('faults', () => {
  it('http-error answers 500 by default, or the given status, with an HTML page', async () => {
    const fake = await startFake({ mounts });
    fake.setFault({ kind: 'http-error' });
    const response = await rawRequest(fake.statusUrl);
    expect(response.status).toBe(500);
    expect(response.headers['content-type']).toMatch(/^text\/html/);
    expect(response.body).toContain('500');
    fake.setFault({ kind: 'http-error', status: 503 });
    expect((await rawRequest(fake.statusUrl)).status).toBe(503);
    fake.setFault(null);
    expect((await rawRequest(fake.statusUrl)).status).toBe(200);
  });

  it('hang never answers, and close() still returns quickly', async () => {
    const fake = await startFakeIcecast({ mounts });
    fake.setFault({ kind: 'hang' });
    const hung = fetch(fake.statusUrl, { signal: AbortSignal.timeout(300) });
    await expect(hung).rejects.toMatchObject({ name: 'TimeoutError' });
    const pending = rawRequest(fake.statusUrl);
    await expect.poll(() => fake.statusRequests, { timeout: 2000 }).toBe(2);
    const started = Date.now();
    await fake.close();
    expect(Date.now() - started).toBeLessThan(1000);
    await expect(pending).rejects.toThrow(/socket hang up|ECONNRESET/);
  });

  it('hang drops the waiting connections when the fault is cleared', async () => {
    const fake = await startFake({ mounts });
    fake.setFault({ kind: 'hang' });
    const pending = rawRequest(fake.statusUrl);
    await expect.poll(() => fake.statusRequests, { timeout: 2000 }).toBe(1);
    fake.setFault(null);
    await expect(pending).rejects.toThrow(/socket hang up|ECONNRESET/);
    expect((await rawRequest(fake.statusUrl)).status).toBe(200);
  });

  it('slow answers correctly after the delay', async () => {
    const fake = await startFake({ mounts });
    fake.setFault({ kind: 'slow', delayMs: 300 });
    const started = Date.now();
    const response = await rawRequest(fake.statusUrl);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(response.status).toBe(200);
    expect(response.body).toBe(fake.statusBody());
  });

  it('invalid-json answers 200 with a body JSON.parse rejects', async () => {
    const fake = await startFake({ mounts });
    fake.setFault({ kind: 'invalid-json' });
    const response = await rawRequest(fake.statusUrl);
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toBe('application/json; charset=UTF-8');
    expect(response.body.startsWith('{"icestats":{')).toBe(true);
    expect(() => JSON.parse(response.body)).toThrow(SyntaxError);
  });

  it('huge streams exactly the given number of bytes, with Content-Length', async () => {
    const fake = await startFake({ mounts });
    const bytes = 5_000_001;
    fake.setFault({ kind: 'huge', bytes });
    const response = await fetch(fake.statusUrl, { signal: AbortSignal.timeout(5000) });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-length')).toBe(String(bytes));
    expect(await bodyLength(response)).toBe(bytes);
  });

  it('huge can be chunked, without Content-Length, and looks like status JSON', async () => {
    const fake = await startFake({ mounts });
    fake.setFault({ kind: 'huge', bytes: 200_000, chunked: true });
    const response = await fetch(fake.statusUrl, { signal: AbortSignal.timeout(5000) });
    expect(response.headers.get('content-length')).toBeNull();
    const body = await response.text();
    expect(body).toHaveLength(200_000);
    expect(body.startsWith('{"icestats":{"admin":"admin@localhost"')).toBe(true);
  });

  it('huge with fewer bytes than its prefix is cut short', async () => {
    const fake = await startFake({ mounts });
    fake.setFault({ kind: 'huge', bytes: 5 });
    expect((await rawRequest(fake.statusUrl)).body).toBe('{"ice');
  });

  it('a client giving up on a huge answer does not disturb the server', async () => {
    const fake = await startFake({ mounts });
    fake.setFault({ kind: 'huge', bytes: 100 * 1024 * 1024 });
    const response = await fetch(fake.statusUrl, { signal: AbortSignal.timeout(5000) });
    await response.body!.cancel();
    fake.setFault(null);
    expect((await rawRequest(fake.statusUrl)).status).toBe(200);
  });

  it('reset destroys the connection without an answer', async () => {
    const fake = await startFake({ mounts });
    fake.setFault({ kind: 'reset' });
    await expect(rawRequest(fake.statusUrl)).rejects.toMatchObject({ code: 'ECONNRESET' });
    await expect(fetch(fake.statusUrl, { signal: AbortSignal.timeout(3000) })).rejects.toThrow(TypeError);
    expect(fake.statusRequests).toBe(2);
  });

  it('exposes the fault in force', async () => {
    const fake = await startFake();
    expect(fake.fault).toBeNull();
    fake.setFault({ kind: 'slow', delayMs: 10 });
    expect(fake.fault).toEqual({ kind: 'slow', delayMs: 10 });
  });
});

describe('parseFault', () => {
  it('accepts every kind', () => {
    expect(parseFault({ kind: 'http-error' })).toEqual({ kind: 'http-error' });
    expect(parseFault({ kind: 'http-error', status: 502 })).toEqual({ kind: 'http-error', status: 502 });
    expect(parseFault({ kind: 'hang' })).toEqual({ kind: 'hang' });
    expect(parseFault({ kind: 'slow', delayMs: 0 })).toEqual({ kind: 'slow', delayMs: 0 });
    expect(parseFault({ kind: 'invalid-json' })).toEqual({ kind: 'invalid-json' });
    expect(parseFault({ kind: 'huge', bytes: 1, chunked: false })).toEqual({ kind: 'huge', bytes: 1, chunked: false });
    expect(parseFault({ kind: 'reset' })).toEqual({ kind: 'reset' });
  });

  it('rejects bad faults with a message naming the problem', () => {
    expect(() => parseFault(null)).toThrow(/JSON object/);
    expect(() => parseFault({ kind: 'explode' })).toThrow(/"kind" must be one of/);
    expect(() => parseFault({ kind: 'http-error', status: 200 })).toThrow(/"status"/);
    expect(() => parseFault({ kind: 'slow' })).toThrow(/"delayMs"/);
    expect(() => parseFault({ kind: 'slow', delayMs: -1 })).toThrow(/"delayMs"/);
    expect(() => parseFault({ kind: 'huge', bytes: 1.5 })).toThrow(/"bytes"/);
    expect(() => parseFault({ kind: 'huge', bytes: 1, chunked: 'yes' })).toThrow(/"chunked"/);
    expect(() => parseFault({ kind: 'hang', delayMs: 5 })).toThrow(/unknown field "delayMs"/);
  });
});
