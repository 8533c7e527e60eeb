import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { afterEach } from 'vitest';
import { startFakeIcecast, type FakeIcecast, type FakeIcecastOptions } from '../src/index.js';

export function fixture(name: string): string {
  return readFileSync(new URL(`../fixtures/${name}`, import.meta.url), 'utf8');
}

const running: FakeIcecast[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((fake) => fake.close()));
});

/** A fake on a free loopback port, closed after the test. */
export async function startFake(options?: FakeIcecastOptions): Promise<FakeIcecast> {
  const fake = await startFakeIcecast(options);
  running.push(fake);
  return fake;
}

/** Every key of a parsed JSON value as a path, in document order (so key order can be compared). */
export function keyPaths(value: unknown, prefix = ''): string[] {
  if (Array.isArray(value)) return value.flatMap((item, i) => keyPaths(item, `${prefix}[${i}]`));
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([key, member]) => [`${prefix}.${key}`, ...keyPaths(member, `${prefix}.${key}`)]);
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  rawHeaders: string[];
  body: string;
}

/** A request over node:http, so transport errors keep their codes (ECONNRESET) and nothing is pooled. */
export function rawRequest(url: string, method = 'GET', timeoutMs = 3000): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, agent: false, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          rawHeaders: res.rawHeaders,
          body: Buffer.concat(chunks).toString('utf8'),
        }),
      );
    });
    req.on('timeout', () => req.destroy(new Error('test timeout')));
    req.on('error', reject);
    req.end();
  });
}
