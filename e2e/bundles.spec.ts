import { expect, test, textPart } from './support/fixtures.js';

// The shortest embeds: the bundle from the relay, no src attribute (it defaults to that relay's /ws).
test('the classic-script (IIFE) bundle works on a plain page, src defaulting to the relay it came from', async ({ page, stack }) => {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(stack.site.page(`<now-playing>Radio Example</now-playing><script src="${stack.relay.url}/now-playing.iife.js"></script>`));
  const element = page.locator('now-playing');
  await expect(element).toHaveAttribute('status', 'live');
  await expect(textPart(element)).toHaveText('Nina Simone – Feeling Good');
  expect(errors).toEqual([]);
});

test('the ES module bundle works on a plain page, src defaulting to the relay it came from', async ({ page, stack }) => {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(stack.site.page(`<now-playing station="live">Radio Example</now-playing>`, `<script type="module" src="${stack.relay.url}/now-playing.js"></script>`));
  const element = page.locator('now-playing');
  await expect(element).toHaveAttribute('status', 'live');
  await expect(textPart(element)).toHaveText('Nina Simone – Feeling Good');
  expect(errors).toEqual([]);
});

test('events: now-playing-change and now-playing-status bubble to the document', async ({ page, stack }) => {
  await page.goto(stack.site.page(`<now-playing src="${stack.relay.wsUrl}"></now-playing>`));
  await page.evaluate(() => {
    const w = window as unknown as { events: string[] };
    w.events = [];
    document.addEventListener('now-playing-status', (e) => w.events.push(`status:${(e as CustomEvent).detail.status}`));
    document.addEventListener('now-playing-change', (e) => w.events.push(`change:${(e as CustomEvent).detail.nowPlaying?.track?.text}`));
  });
  await page.addScriptTag({ type: 'module', url: `${stack.relay.url}/now-playing.js` });
  await expect(page.locator('now-playing')).toHaveAttribute('status', 'live');
  await stack.fake.setTitle('/live', 'Next - Song');
  await expect.poll(() => page.evaluate(() => (window as unknown as { events: string[] }).events)).toEqual(
    expect.arrayContaining(['status:live', 'change:Nina Simone - Feeling Good', 'change:Next - Song']),
  );
});
