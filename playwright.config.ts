import { defineConfig } from '@playwright/test';
import { chromiumLaunchOptions } from './e2e/support/browser.js';

// End-to-end tests of the whole chain: real fake-Icecast and relay processes (started by each test,
// see e2e/support/stack.ts), real Chromium. `pnpm test` builds everything first.
export default defineConfig({
  testDir: 'e2e',
  testMatch: '**/*.spec.ts',
  // Run by `pnpm test:pack` (scripts/test-pack.ts), which installs the packed packages and passes their URLs.
  testIgnore: process.env.NOW_PLAYING_CONSUMER_APP ? [] : ['**/consumer.spec.ts'],
  timeout: 30_000,
  expect: { timeout: 8_000 },
  // Each test starts its own processes on free ports; two workers fit the 2-core machines we run on.
  workers: process.env.CI ? 2 : undefined,
  retries: 0,
  reporter: process.env.CI ? [['list']] : [['list'], ['html', { open: 'never' }]],
  use: {
    browserName: 'chromium',
    headless: true,
    launchOptions: chromiumLaunchOptions(),
    trace: 'retain-on-failure',
  },
});
