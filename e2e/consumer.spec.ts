/**
 * The browser half of `pnpm test:pack` (scripts/test-pack.ts): a Vite + TypeScript app built outside
 * the workspace from the packed `@now-playing/element`, served by `vite preview`, connected to a relay
 * installed from its tarball (`npx now-playing-relay`) in front of the packed fake Icecast. test:pack
 * starts all of that and passes the app's URL and the fake's in the environment; without them
 * (a plain `playwright test`) playwright.config.ts leaves this file out.
 */
import { expect, test } from '@playwright/test';

const appUrl = process.env.NOW_PLAYING_CONSUMER_APP;
const fakeUrl = process.env.NOW_PLAYING_CONSUMER_FAKE;

test('an app built from the packed element shows the title from the installed relay, and its change', async ({ page }) => {
  expect(appUrl && fakeUrl, 'run by pnpm test:pack').toBeTruthy();
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') problems.push(message.text());
  });
  await page.goto(appUrl!);
  const element = page.locator('now-playing');
  await expect(element).toHaveAttribute('status', 'live');
  // The app's own listener saw the typed status event.
  await expect(page.locator('body')).toHaveAttribute('data-status', 'live');
  await expect(element.locator('[part="text"]')).toHaveText('Nina Simone – Feeling Good');

  const changed = await fetch(`${fakeUrl}/control/mounts/live`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ title: 'Björk - Jóga' }),
  });
  expect(changed.ok).toBe(true);
  await expect(element.locator('[part="text"]')).toHaveText('Björk – Jóga');
  expect(problems).toEqual([]);
});
