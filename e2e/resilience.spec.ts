import { expect, openStationPage, test, textPart } from './support/fixtures.js';

// A short heartbeat so a frozen relay is noticed within seconds (the watchdog allows 2.5 intervals).
test.use({ relayInit: { heartbeat: 1000 } });

test('the relay is killed and restarted: reconnecting, then the fresh title, no reload', async ({ page, stack }) => {
  await openStationPage(page, stack, `<now-playing src="${stack.relay.wsUrl}"></now-playing>`);
  const element = page.locator('now-playing');
  await expect(element).toHaveAttribute('status', 'live');
  let navigations = 0;
  page.on('framenavigated', () => navigations++);

  await stack.relay.kill();
  await expect(element).toHaveAttribute('status', 'reconnecting');
  await expect(textPart(element)).toHaveText('Nina Simone – Feeling Good'); // the last data stays up
  await stack.fake.setTitle('/live', 'Massive Attack - Teardrop');
  await stack.relay.restart();
  await expect(element).toHaveAttribute('status', 'live', { timeout: 15_000 });
  await expect(textPart(element)).toHaveText('Massive Attack – Teardrop');
  expect(navigations).toBe(0);
});

test('the relay freezes with the TCP link open: the heartbeat watchdog notices, and it recovers after SIGCONT', async ({ page, stack }) => {
  await openStationPage(page, stack, `<now-playing src="${stack.relay.wsUrl}"></now-playing>`);
  const element = page.locator('now-playing');
  await expect(element).toHaveAttribute('status', 'live');

  stack.relay.freeze();
  const frozenAt = Date.now();
  await expect(element).toHaveAttribute('status', 'reconnecting', { timeout: 8000 });
  // Not before 2.5 heartbeats of silence (minus the time since the last ping).
  expect(Date.now() - frozenAt).toBeGreaterThan(1000);
  await expect(textPart(element)).toHaveText('Nina Simone – Feeling Good');

  await stack.fake.setTitle('/live', 'After - The Freeze');
  stack.relay.thaw();
  await expect(element).toHaveAttribute('status', 'live', { timeout: 20_000 });
  await expect(textPart(element)).toHaveText('After – The Freeze');
});

test('the upstream goes down: the element shows stale, keeps the title, and recovers', async ({ page, stack }) => {
  await openStationPage(page, stack, `<now-playing src="${stack.relay.wsUrl}"></now-playing>`);
  const element = page.locator('now-playing');
  await expect(element).toHaveAttribute('status', 'live');
  await stack.fake.fail(500);
  await expect(element).toHaveAttribute('status', 'stale');
  await expect(textPart(element)).toHaveText('Nina Simone – Feeling Good');
  expect(await element.evaluate((el) => (el as HTMLElementTagNameMap['now-playing']).nowPlaying?.staleReason)).toBe('HTTP 500');
  await stack.fake.heal();
  await expect(element).toHaveAttribute('status', 'live');
});

test('the mount goes off air: offline, then live again when it returns', async ({ page, stack }) => {
  await openStationPage(page, stack, `<now-playing src="${stack.relay.wsUrl}" station="live"></now-playing>`);
  const element = page.locator('now-playing');
  await expect(element).toHaveAttribute('status', 'live');
  await stack.fake.control('DELETE', '/control/mounts/live');
  await expect(element).toHaveAttribute('status', 'offline');
  expect(await element.evaluate((el) => (el as HTMLElementTagNameMap['now-playing']).statusReason)).toBe('off-air');
  await stack.fake.setMount('/live', { title: 'Back - On Air' });
  await expect(element).toHaveAttribute('status', 'live');
  await expect(textPart(element)).toHaveText('Back – On Air');
});

test('an unknown station shows offline and the fallback', async ({ page, stack }) => {
  await openStationPage(page, stack, `<now-playing src="${stack.relay.wsUrl}" station="nope"><span class="fallback">Radio Example</span></now-playing>`);
  const element = page.locator('now-playing');
  await expect(element).toHaveAttribute('status', 'offline');
  expect(await element.evaluate((el) => (el as HTMLElementTagNameMap['now-playing']).statusReason)).toBe('unknown-station');
  await expect(page.locator('.fallback')).toBeVisible();
});
