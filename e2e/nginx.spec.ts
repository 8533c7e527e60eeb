/**
 * The deployment docs/deploy.md describes, run for real: the relay on loopback behind Debian's nginx
 * with deploy/nginx.conf (TLS from a certificate made for the test, the relay under /radio/), the
 * element in Chromium loading the versioned bundle and connecting over wss://, and the listener's
 * address reaching the relay through X-Forwarded-For.
 */
import { readFileSync } from 'node:fs';
import { WebSocket } from 'ws';
import { expectClients, expect, test as base, textPart } from './support/fixtures.js';
import { Nginx } from './support/nginx.js';

const { version } = JSON.parse(readFileSync(new URL('../packages/element/package.json', import.meta.url), 'utf8')) as { version: string };

const test = base.extend<{ nginx: Nginx }>({
  nginx: async ({ stack }, use) => {
    const nginx = await Nginx.start(stack.relay.port);
    await use(nginx);
    await nginx.stop();
  },
});

// The relay as deploy/nginx.conf's header comment runs it (the per-address limit lowered to 2 to hit it).
test.use({ relayInit: { args: ['--trust-proxy', '127.0.0.1', '--max-connections-per-ip', '2'] } });

test('the element loads the versioned bundle through nginx (TLS, br) and connects over wss://', async ({ browser, stack, nginx }) => {
  const context = await browser.newContext({ ignoreHTTPSErrors: true }); // the test's self-signed certificate
  try {
    const page = await context.newPage();
    const sockets: string[] = [];
    page.on('websocket', (socket) => sockets.push(socket.url()));
    const bundleUrl = `${nginx.base}/now-playing@${version}.js`;
    const bundle = page.waitForResponse(bundleUrl);
    await page.goto(
      stack.site.page(`<now-playing src="${nginx.wsUrl}" station="live">Radio Example</now-playing>`, `<script type="module" src="${bundleUrl}"></script>`),
    );
    const response = await bundle;
    expect(response.status()).toBe(200);
    const headers = await response.allHeaders();
    expect(headers['content-encoding']).toBe('br'); // Chromium offers br over https; the relay's answer passes nginx untouched
    expect(headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(headers.vary).toBe('Accept-Encoding');

    const element = page.locator('now-playing');
    await expect(element).toHaveAttribute('status', 'live');
    await expect(textPart(element)).toHaveText('Nina Simone – Feeling Good');
    await stack.fake.setTitle('/live', 'Next Artist - Through The Proxy');
    await expect(textPart(element)).toHaveText('Next Artist – Through The Proxy');
    expect(sockets).toEqual([`${nginx.wsUrl}?station=live`]);
    await expectClients(stack.relay, 1);
  } finally {
    await context.close();
  }
});

/** A WebSocket through nginx from `localAddress` (any 127.x address is this machine): its first message or its close code. */
function connectFrom(nginx: Nginx, localAddress: string, headers: Record<string, string> = {}): Promise<{ socket: WebSocket; first: string } | { code: number }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`${nginx.wsUrl}?station=live`, { ca: nginx.certificate, localAddress, headers, handshakeTimeout: 5000 });
    socket.once('message', (data) => resolve({ socket, first: String(data) }));
    socket.once('close', (code) => resolve({ code }));
    socket.once('error', reject);
  });
}

test('the listener\'s address reaches the relay through X-Forwarded-For: the per-address limit counts listeners, not nginx', async ({ stack, nginx }) => {
  const open: WebSocket[] = [];
  try {
    // Two listeners from 127.0.0.2: both get their snapshot (the limit is 2 per address).
    for (let i = 0; i < 2; i++) {
      const result = await connectFrom(nginx, '127.0.0.2');
      expect('first' in result && JSON.parse(result.first).type).toBe('snapshot');
      if ('socket' in result) open.push(result.socket);
    }
    // A third from 127.0.0.2 is refused, even when it claims another address: nginx appends the one
    // it sees, and the relay trusts only nginx's part of the header.
    expect(await connectFrom(nginx, '127.0.0.2', { 'X-Forwarded-For': '198.51.100.7' })).toEqual({ code: 4403 });
    // Another listener (127.0.0.3) is not affected. Were nginx's own address counted, every listener
    // would be one address and this one refused too.
    const other = await connectFrom(nginx, '127.0.0.3');
    expect('first' in other && JSON.parse(other.first).type).toBe('snapshot');
    if ('socket' in other) open.push(other.socket);
    await expectClients(stack.relay, 3);
  } finally {
    for (const socket of open) socket.terminate();
  }
});
