/**
 * Playwright fixtures: every test gets its own fake Icecast, relay and station website (real
 * processes and sockets on free loopback ports), stopped by PID afterwards.
 */
import { test as base, expect, type Locator, type Page } from '@playwright/test';
import { PageServer } from './page-server.js';
import { BUNDLE_DIR, FakeStation, RelayProcess, type MountInit, type RelayInit } from './stack.js';

export interface Stack {
  fake: FakeStation;
  relay: RelayProcess;
  site: PageServer;
}

interface Fixtures {
  /** Mounts the fake station starts with (override with test.use). */
  mounts: Record<string, MountInit>;
  relayInit: RelayInit;
  stack: Stack;
}

export const test = base.extend<Fixtures>({
  mounts: [{ '/live': { title: 'Nina Simone - Feeling Good', serverName: 'Radio Example' } }, { option: true }],
  relayInit: [{}, { option: true }],
  stack: async ({ mounts, relayInit }, use) => {
    // Whatever started is stopped, also when a later start fails (the fixture never reaches teardown then).
    const started: (() => Promise<unknown>)[] = [];
    try {
      const fake = await FakeStation.start(mounts);
      started.push(() => fake.stop());
      const relay = await RelayProcess.start(fake.url, relayInit);
      started.push(() => relay.stop());
      const site = await PageServer.start(BUNDLE_DIR);
      started.push(() => site.close());
      await use({ fake, relay, site });
    } finally {
      await Promise.all(started.map((stop) => stop()));
    }
  },
});

export { expect };

/** The module script tag for the bundle the relay serves. */
export const moduleScript = (relay: RelayProcess) => `<script type="module" src="${relay.url}/now-playing.js"></script>`;

/** Open a station page with the ES bundle from the relay and the given body. */
export async function openStationPage(page: Page, stack: Stack, body: string): Promise<void> {
  await page.goto(stack.site.page(body, moduleScript(stack.relay)));
}

/** The text part inside an element's shadow root (Playwright locators pierce open shadow roots). */
export const textPart = (element: Locator) => element.locator('[part="text"]');

/**
 * Resolves after two more animation frames in the page. The element decides whether to scroll in the
 * frame after it renders (its requestAnimationFrame; its ResizeObserver runs later in a frame), and
 * frame callbacks run in the order they were requested: two frames requested once the text is on screen
 * end after that decision and after the render it asked for. A signal, not a guess at a duration.
 */
export const afterTwoFrames = (page: Page): Promise<void> =>
  page.evaluate(() => new Promise<void>((resolve) => requestAnimationFrame(() => requestAnimationFrame(() => resolve()))));

/** Wait until the relay counts `n` WebSocket clients. */
export async function expectClients(relay: RelayProcess, n: number): Promise<void> {
  await expect.poll(() => relay.clients(), { timeout: 8000 }).toBe(n);
}
