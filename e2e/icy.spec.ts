import { expect, moduleScript, test, textPart } from './support/fixtures.js';
import { PageServer } from './support/page-server.js';
import { BUNDLE_DIR, FakeStation, RelayProcess } from './support/stack.js';

test('an ICY-sourced title reaches the page at the stream’s next metadata block, with no poll interval in between', async ({ page }) => {
  // A metadata block every 2,000 audio bytes (8 a second at 16,000 bytes a second).
  const fake = await FakeStation.start({ '/live': { title: 'Nina Simone - Feeling Good', serverName: 'Radio Example' } }, ['--metaint', '2000']);
  // Polling once a minute: a title that arrives within the expect timeout (8 s) came in-stream.
  const relay = await RelayProcess.start(`icy+${fake.url}/live`, { pollInterval: 60_000 });
  const site = await PageServer.start(BUNDLE_DIR);
  try {
    await page.goto(site.page(`<now-playing src="${relay.wsUrl}" station="live">Radio Example</now-playing>`, moduleScript(relay)));
    const element = page.locator('now-playing');
    await expect(element).toHaveAttribute('status', 'live');
    await expect(textPart(element)).toHaveText('Nina Simone – Feeling Good');

    // Written on the wire as Icecast writes an MP3 mount: Latin-1, the en dash as &#8211;.
    await fake.setTitle('/live', 'Sigur Rós – Hoppípolla');
    await expect(textPart(element)).toHaveText('Sigur Rós – Hoppípolla');
    expect(await element.evaluate((el) => (el as HTMLElementTagNameMap['now-playing']).nowPlaying?.station.name)).toBe('Radio Example');

    const health = (await (await fetch(`${relay.url}/healthz`)).json()) as { upstreams: { url: string; state: string }[] };
    expect(health.upstreams).toEqual([expect.objectContaining({ url: `icy+${fake.url}/live`, state: 'ok' })]);
  } finally {
    await Promise.all([relay.stop(), fake.stop(), site.close()]);
  }
});
