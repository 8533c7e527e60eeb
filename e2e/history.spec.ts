import type { Page } from '@playwright/test';
import { expect, expectClients, test, textPart } from './support/fixtures.js';

// <now-playing-history> from the relay's own bundle, beside <now-playing> from its bundle: two
// self-contained scripts on one page, one socket.
test.use({ mounts: { '/live': { title: 'Nina Simone - Feeling Good', serverName: 'Radio Example' } } });

const items = (page: Page, selector = 'now-playing-history') => page.locator(selector).locator('[part~="item"]');

test('the history list renders and follows track changes, sharing one socket with <now-playing>', async ({ page, stack }) => {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  const relay = stack.relay.url;
  await page.goto(
    stack.site.page(
      `<now-playing station="live">Radio Example</now-playing>
       <now-playing-history station="live" include-current limit="3" format="{title}">Nothing played yet</now-playing-history>`,
      `<script type="module" src="${relay}/now-playing.js"></script>
       <script type="module" src="${relay}/now-playing-history.js"></script>`,
    ),
  );
  const history = page.locator('now-playing-history');
  await expect(history).toHaveAttribute('status', 'live');
  await expect(items(page)).toHaveCount(1); // only the track on air: no history yet
  await expect(items(page).first()).toHaveAttribute('aria-current', 'true');

  for (const title of ['Björk - Jóga', 'Daft Punk - Around the World']) {
    await stack.fake.setTitle('/live', title);
    await expect(textPart(page.locator('now-playing'))).toHaveText(title.replace(' - ', ' – '));
  }
  await expect(items(page).locator('[part="text"]')).toHaveText(['Around the World', 'Jóga', 'Feeling Good']);
  await expect(history.locator('ol[part="list"]')).toHaveAttribute('aria-label', 'Recently played');

  // Each start is machine-readable and written as a local clock time.
  const times = await items(page).locator('time').evaluateAll((nodes) =>
    nodes.map((node) => ({ datetime: node.getAttribute('datetime')!, text: node.textContent! })),
  );
  for (const { datetime, text } of times) {
    expect(Number.isNaN(Date.parse(datetime))).toBe(false);
    expect(text).toBe(await page.evaluate((iso) => new Intl.DateTimeFormat(undefined, { timeStyle: 'short' }).format(new Date(iso)), datetime));
  }
  // Most recent first.
  const starts = times.map(({ datetime }) => Date.parse(datetime));
  expect([...starts].sort((a, b) => b - a)).toEqual(starts);

  await expectClients(stack.relay, 1); // two elements from two bundles, one socket
  expect(errors).toEqual([]);
});

test('the classic-script history bundle works alone; hostile titles are text; limit cuts the list', async ({ page, stack }) => {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(
    stack.site.page(
      `<img id="control" src="data:," onerror="window.controlFired = true">
       <now-playing-history limit="2" time="relative">Nothing played yet</now-playing-history>
       <script src="${stack.relay.url}/now-playing-history.iife.js"></script>`,
    ),
  );
  const history = page.locator('now-playing-history');
  await expect(history).toHaveAttribute('status', 'live');
  await expect(history).toHaveText('Nothing played yet'); // fallback: no history yet
  const hostile = '<img src=x onerror="window.pwned=true"> - <b>bold</b>';
  for (const title of [hostile, 'After - One', 'After - Two']) {
    await stack.fake.setTitle('/live', title);
    await expect.poll(() => history.evaluate((el) => (el as Element & { nowPlaying?: { track?: { text: string } } }).nowPlaying?.track?.text)).toBe(title);
  }
  await expect(items(page).locator('[part="text"]')).toHaveText(['After – One', hostile.replace(' - ', ' – ')]);
  await expect(items(page).first().locator('time')).toHaveText(/now|second/);
  await expect(history.locator('img, b')).toHaveCount(0);
  // A control image with a handler that does fire, so "nothing fired" above means something.
  await page.evaluate(() => ((document.querySelector('#control') as HTMLImageElement).src = 'x:broken'));
  await expect.poll(() => page.evaluate(() => (window as unknown as { controlFired?: boolean }).controlFired)).toBe(true);
  expect(await page.evaluate(() => (window as unknown as { pwned?: boolean }).pwned)).toBeUndefined();
  expect(errors).toEqual([]);
});
