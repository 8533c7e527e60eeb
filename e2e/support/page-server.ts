/**
 * A station's website, as far as the tests need one: a real HTTP server on a loopback port that serves
 * the HTML each test writes. It is a different origin from the relay, like a real embed.
 */
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export class PageServer {
  readonly #pages = new Map<string, string>();
  #count = 0;

  private constructor(
    private readonly server: Server,
    readonly origin: string,
  ) {}

  /** `assets`: a folder served under `/assets/` (the element bundles, for a site that hosts its own copy). */
  static async start(assets?: string): Promise<PageServer> {
    let self: PageServer | undefined;
    const server = createServer(async (req, res) => {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      if (assets && /^\/assets\/[\w.-]+\.js$/.test(path)) {
        const file = await readFile(`${assets}/${path.slice('/assets/'.length)}`).catch(() => undefined);
        res.writeHead(file ? 200 : 404, { 'content-type': 'text/javascript' });
        return res.end(file ?? '');
      }
      const body = self!.#pages.get(path);
      res.writeHead(body === undefined ? 404 : 200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      res.end(body ?? 'not found');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    self = new PageServer(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    return self;
  }

  /** Serve `body` inside a minimal HTML document; returns its URL. */
  page(body: string, head = ''): string {
    const path = `/page-${++this.#count}.html`;
    this.#pages.set(path, `<!doctype html><html lang="en"><head><meta charset="utf-8">${head}</head><body>${body}</body></html>`);
    return `${this.origin}${path}`;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
