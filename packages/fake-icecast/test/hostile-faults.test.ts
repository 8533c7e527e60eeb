import { describe, it, expect } from 'vitest';
import { hugeTitle } from '../src/fault-bodies.js';
import { parseFault, type FakeIcecast } from '../src/index.js';
import { fixture, keyPaths, startFake } from './helpers.js';

interface Source {
  title?: string;
  listenurl: string;
  [key: string]: unknown;
}

function get(url: string, redirect: RequestRedirect = 'manual'): Promise<Response> {
  return fetch(url, { redirect, signal: AbortSignal.timeout(10_000) });
}

/** The body as bytes, and the declared length, which must match what arrived. */
async function bytesOf(response: Response): Promise<Buffer> {
  const bytes = Buffer.from(await response.arrayBuffer());
  expect(response.headers.get('content-length')).toBe(String(bytes.length));
  return bytes;
}

async function sourcesOf(fake: FakeIcecast): Promise<Source[]> {
  const response = await get(fake.statusUrl);
  expect(response.status).toBe(200);
  const { icestats } = JSON.parse((await bytesOf(response)).toString('utf8')) as { icestats: { source: Source | Source[] } };
  return Array.isArray(icestats.source) ? icestats.source : [icestats.source];
}

describe('redirect-self', () => {
  it('redirects (302 by default) to the status URL itself, query included, counting every request', async () => {
    const fake = await startFake({ mounts: { '/live': { title: 'T' } } });
    fake.setFault({ kind: 'redirect-self' });
    let response = await get(fake.statusUrl);
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe(fake.statusUrl);
    response = await get(`${fake.statusUrl}?mount=/live`);
    expect(response.headers.get('location')).toBe(`${fake.statusUrl}?mount=/live`);
    expect(fake.statusRequests).toBe(2);
  });

  it('answers with the chosen status, and loops forever for a client that follows', async () => {
    const fake = await startFake();
    fake.setFault({ kind: 'redirect-self', status: 308 });
    expect((await get(fake.statusUrl)).status).toBe(308);
    fake.resetStats();
    // fetch gives up after 20 redirects: the first request plus 20 followed ones reached the fake.
    await expect(get(fake.statusUrl, 'follow')).rejects.toThrow(TypeError);
    expect(fake.statusRequests).toBe(21);
  });
});

describe('redirect', () => {
  it('redirects to another server, which a following client reaches', async () => {
    const other = await startFake({ mounts: { '/elsewhere': { title: 'Other' } } });
    const fake = await startFake({ mounts: { '/live': { title: 'Here' } } });
    fake.setFault({ kind: 'redirect', location: other.statusUrl, status: 307 });
    const response = await get(fake.statusUrl);
    expect(response.status).toBe(307);
    expect(response.headers.get('location')).toBe(other.statusUrl);
    expect(await (await get(fake.statusUrl, 'follow')).text()).toBe(other.statusBody());
    expect(fake.statusRequests).toBe(2);
    expect(other.statusRequests).toBe(1);
  });

  it.each([301, 302, 303] as const)('can point at a metadata address with status %i', async (status) => {
    const fake = await startFake();
    fake.setFault({ kind: 'redirect', location: 'http://169.254.169.254/latest', status });
    const response = await get(fake.statusUrl);
    expect(response.status).toBe(status);
    expect(response.headers.get('location')).toBe('http://169.254.169.254/latest');
  });

  it('defaults to 302 and sends the URL as parsed', async () => {
    const fake = await startFake();
    fake.setFault({ kind: 'redirect', location: 'HTTPS://Example.COM' });
    expect(fake.fault).toEqual({ kind: 'redirect', location: 'https://example.com/' });
    const response = await get(fake.statusUrl);
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe('https://example.com/');
  });
});

describe('churn-mounts', () => {
  it('lists mounts never listed before, each with a title, in Icecast shape, instead of the configured ones', async () => {
    const fake = await startFake({ mounts: { '/live': { title: 'Configured' } } });
    fake.setFault({ kind: 'churn-mounts', perRequest: 3 });
    const first = await sourcesOf(fake);
    const second = await sourcesOf(fake);
    expect(first).toHaveLength(3);
    expect(second).toHaveLength(3);
    const names = [...first, ...second].map((source) => new URL(source.listenurl).pathname);
    expect(new Set(names).size).toBe(6);
    expect(names).not.toContain('/live');
    expect([...names].sort()).toEqual(names);
    for (const source of [...first, ...second]) expect(source.title).toMatch(/^Churn track \d+$/);
    // Same keys, in the same order, as a captured source with a title.
    const captured = (JSON.parse(fixture('status-json-1mount.json')) as { icestats: { source: unknown } }).icestats.source;
    expect(keyPaths(first[0])).toEqual(keyPaths(captured));
    expect(fake.statusRequests).toBe(2);
  });

  it('lists 1000 by default; one mount is an object, as Icecast writes it', async () => {
    const fake = await startFake();
    fake.setFault({ kind: 'churn-mounts' });
    expect(await sourcesOf(fake)).toHaveLength(1000);
    fake.setFault({ kind: 'churn-mounts', perRequest: 1 });
    const response = await get(fake.statusUrl);
    const body = JSON.parse((await bytesOf(response)).toString('utf8')) as { icestats: { source: unknown } };
    expect(Array.isArray(body.icestats.source)).toBe(false);
    expect(body.icestats.source).toMatchObject({ title: 'Churn track 000000001001' });
  });

  it('streams the largest answer with an exact Content-Length', async () => {
    const fake = await startFake();
    fake.setFault({ kind: 'churn-mounts', perRequest: 100_000 });
    const sources = await sourcesOf(fake);
    expect(sources).toHaveLength(100_000);
    expect(new URL(sources.at(-1)!.listenurl).pathname).toBe('/churn-000000100000');
  }, 20_000);
});

describe('huge-title', () => {
  it('gives every mount a title of exactly the given length and leaves the rest alone', async () => {
    const fake = await startFake({
      mounts: { '/a': { title: 'Short', charset: 'UTF-8' }, '/b': {}, '/c': { title: 'Café – Eres' } },
    });
    const chars = 1_000_003;
    fake.setFault({ kind: 'huge-title', chars });
    const sources = await sourcesOf(fake);
    expect(sources).toHaveLength(3);
    for (const source of sources) {
      expect(source.title).toHaveLength(chars);
      expect(source.title).toBe(hugeTitle(chars));
      expect(source.title!.startsWith('A very long title A very long title ')).toBe(true);
    }
    const healthy = (JSON.parse(fake.statusBody()) as { icestats: { source: Source[] } }).icestats.source;
    expect(sources.map(({ title: _, ...rest }) => rest)).toEqual(healthy.map(({ title: _, ...rest }) => rest));
  });

  it('can be empty', async () => {
    const fake = await startFake({ mounts: { '/live': { title: 'T' } } });
    fake.setFault({ kind: 'huge-title', chars: 0 });
    expect((await sourcesOf(fake))[0]!.title).toBe('');
  });

  it('streams the largest title with an exact Content-Length', async () => {
    const fake = await startFake({ mounts: { '/live': { title: 'T' } } });
    fake.setFault({ kind: 'huge-title', chars: 50_000_000 });
    const response = await get(fake.statusUrl);
    const declared = Number(response.headers.get('content-length'));
    let received = 0;
    let tail = '';
    for await (const chunk of response.body! as AsyncIterable<Uint8Array>) {
      received += chunk.length;
      tail = (tail + Buffer.from(chunk).toString('latin1')).slice(-200);
    }
    expect(received).toBe(declared);
    expect(declared).toBeGreaterThan(50_000_000);
    expect(tail.endsWith(`${hugeTitle(50_000_000).slice(-100)}","dummy":null}}}`)).toBe(true);
  }, 20_000);
});

describe('latin1', () => {
  it('sends the healthy body as ISO-8859-1 bytes, still labelled UTF-8', async () => {
    const fake = await startFake({ mounts: { '/live': { title: 'Café Tacvba – Eres' } } });
    fake.setFault({ kind: 'latin1' });
    const response = await get(fake.statusUrl);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json; charset=UTF-8');
    const bytes = await bytesOf(response);
    expect(bytes.includes(Buffer.from([0x43, 0x61, 0x66, 0xe9, 0x20]))).toBe(true); // "Café " with é as 0xE9
    expect(bytes.includes(Buffer.from([0xc3, 0xa9]))).toBe(false); // not UTF-8's é
    expect(bytes.toString('latin1')).toContain('"title":"Café Tacvba &#8211; Eres"');
    expect(() => new TextDecoder('utf-8', { fatal: true }).decode(bytes)).toThrow(TypeError);
    expect(bytes.toString('latin1')).toBe(fake.statusBody());
  });

  it('writes characters above U+00FF as references even for a mount with a charset', async () => {
    const fake = await startFake({ mounts: { '/live': { title: 'Ñu 宇多田', charset: 'UTF-8' } } });
    expect(fake.statusBody()).toContain('"title":"Ñu 宇多田"');
    fake.setFault({ kind: 'latin1' });
    const bytes = await bytesOf(await get(fake.statusUrl));
    expect(bytes.toString('latin1')).toContain('"title":"Ñu &#23431;&#22810;&#30000;"');
    expect(bytes.includes(Buffer.from([0xd1, 0x75]))).toBe(true);
  });
});

describe('binary', () => {
  it('answers 200 with the same 4 KiB of non-text bytes every time', async () => {
    const fake = await startFake({ mounts: { '/live': { title: 'T' } } });
    fake.setFault({ kind: 'binary' });
    const first = await get(fake.statusUrl);
    expect(first.status).toBe(200);
    expect(first.headers.get('content-type')).toBe('application/octet-stream');
    const bytes = await bytesOf(first);
    expect(bytes.length).toBe(4096);
    expect(bytes.includes(0)).toBe(true);
    expect(() => new TextDecoder('utf-8', { fatal: true }).decode(bytes)).toThrow(TypeError);
    expect(() => JSON.parse(bytes.toString('utf8'))).toThrow(SyntaxError);
    expect(new Set(bytes).size).toBeGreaterThan(200);
    expect((await bytesOf(await get(fake.statusUrl))).equals(bytes)).toBe(true);
  });
});

describe('parseFault, hostile kinds', () => {
  it('accepts each kind with and without its options', () => {
    expect(parseFault({ kind: 'redirect-self' })).toEqual({ kind: 'redirect-self' });
    expect(parseFault({ kind: 'redirect-self', status: 301 })).toEqual({ kind: 'redirect-self', status: 301 });
    expect(parseFault({ kind: 'redirect', location: 'http://127.0.0.1:9/x?y' })).toEqual({
      kind: 'redirect',
      location: 'http://127.0.0.1:9/x?y',
    });
    expect(parseFault({ kind: 'redirect', location: 'https://a.test/', status: 303 })).toEqual({
      kind: 'redirect',
      location: 'https://a.test/',
      status: 303,
    });
    expect(parseFault({ kind: 'churn-mounts' })).toEqual({ kind: 'churn-mounts' });
    expect(parseFault({ kind: 'churn-mounts', perRequest: 100_000 })).toEqual({ kind: 'churn-mounts', perRequest: 100_000 });
    expect(parseFault({ kind: 'huge-title', chars: 50_000_000 })).toEqual({ kind: 'huge-title', chars: 50_000_000 });
    expect(parseFault({ kind: 'latin1' })).toEqual({ kind: 'latin1' });
    expect(parseFault({ kind: 'binary' })).toEqual({ kind: 'binary' });
  });

  it.each([
    [{ kind: 'redirect-self', status: 300 }, /"status" must be one of 301, 302, 303, 307, 308, got 300/],
    [{ kind: 'redirect-self', status: '302' }, /"status"/],
    [{ kind: 'redirect-self', location: 'http://a/' }, /unknown field "location"/],
    [{ kind: 'redirect' }, /"location" must be an absolute http or https URL.*got undefined/],
    [{ kind: 'redirect', location: '/status-json.xsl' }, /"location".*got "\/status-json.xsl"/],
    [{ kind: 'redirect', location: 'ftp://example.com/' }, /"location"/],
    [{ kind: 'redirect', location: 'javascript:alert(1)' }, /"location"/],
    [{ kind: 'redirect', location: `http://a.test/${'x'.repeat(9000)}` }, /"location"/],
    [{ kind: 'redirect', location: 'http://a.test/', status: 404 }, /"status"/],
    [{ kind: 'churn-mounts', perRequest: 0 }, /"perRequest" must be an integer from 1 to 100000, got 0/],
    [{ kind: 'churn-mounts', perRequest: 100_001 }, /"perRequest"/],
    [{ kind: 'churn-mounts', perRequest: 2.5 }, /"perRequest"/],
    [{ kind: 'huge-title' }, /"chars" must be an integer from 0 to 50000000, got undefined/],
    [{ kind: 'huge-title', chars: 50_000_001 }, /"chars"/],
    [{ kind: 'huge-title', chars: -1 }, /"chars"/],
    [{ kind: 'latin1', chars: 1 }, /unknown field "chars" for fault "latin1"/],
    [{ kind: 'binary', bytes: 1 }, /unknown field "bytes" for fault "binary"/],
  ])('rejects %j', (fault, message) => {
    expect(() => parseFault(fault)).toThrow(TypeError);
    expect(() => parseFault(fault)).toThrow(message);
  });

  it('names every kind when the kind is unknown', () => {
    expect(() => parseFault({ kind: 'nope' })).toThrow(
      /one of http-error, hang, slow, invalid-json, huge, reset, redirect-self, redirect, churn-mounts, huge-title, latin1, binary,/,
    );
  });
});
