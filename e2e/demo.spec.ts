import { expect, test } from '@playwright/test';
import { Proc } from './support/stack.js';

// `pnpm demo` as a newcomer runs it: fake station + relay + the Vite page, the element imported as
// an ES module through a bundler. Built packages are required (pnpm test builds first).
test('the demo page shows the station live and its controls drive it', async ({ page }) => {
  test.setTimeout(60_000);
  const demo = new Proc('demo/start.ts', [], { nodeArgs: ['--import', 'tsx'], env: { NOW_PLAYING_LOG_LEVEL: 'warn' } });
  try {
    const [, url] = await demo.waitFor(/Demo page\s+(http:\/\/\S+)/, 30_000);
    // The bundler path requires src; the demo sets it from a script right after the import, which
    // must count (no "src attribute is missing" on the way).
    const complaints: string[] = [];
    page.on('console', (message) => {
      if (message.text().includes('now-playing')) complaints.push(`${message.type()}: ${message.text()}`);
    });
    await page.goto(url!);
    const main = page.locator('#main');
    await expect(main).toHaveAttribute('status', 'live', { timeout: 15_000 });
    await expect(main.locator('[part="text"]')).toHaveText('Sigur Rós – Hoppípolla');
    await page.fill('#title', 'Massive Attack - Teardrop');
    await page.click('#title-form button');
    await expect(main.locator('[part="text"]')).toHaveText('Massive Attack – Teardrop');
    await expect(page.locator('#narrow [part="text"]')).toHaveText('Teardrop by Massive Attack');
    await page.click('#down');
    await expect(main).toHaveAttribute('status', 'stale');
    await page.click('#up');
    await expect(main).toHaveAttribute('status', 'live');
    expect(complaints).toEqual([]);
  } finally {
    await demo.stop();
  }
});
