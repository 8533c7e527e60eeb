import { expect, expectClients, openStationPage, test, textPart } from './support/fixtures.js';

test('the snapshot renders on load, and an upstream title change appears without a reload', async ({ page, stack }) => {
  await openStationPage(page, stack, `<now-playing src="${stack.relay.wsUrl}" station="live">Radio Example</now-playing>`);
  const element = page.locator('now-playing');
  await expect(element).toHaveAttribute('status', 'live');
  await expect(textPart(element)).toHaveText('Nina Simone – Feeling Good'); // default format: {artist} – {title}

  let navigations = 0;
  page.on('framenavigated', () => navigations++);
  await stack.fake.setTitle('/live', 'Björk - Jóga');
  await expect(textPart(element)).toHaveText('Björk – Jóga');
  expect(navigations).toBe(0);
  expect(await element.evaluate((el) => (el as HTMLElementTagNameMap['now-playing']).nowPlaying?.track?.title)).toBe('Jóga');
});

test('the slotted fallback shows before the first data, then gives way to it', async ({ page, stack }) => {
  stack.relay.freeze(); // the relay accepts the TCP connection but says nothing yet
  // The bundle comes from the site itself here (the relay is frozen), pointed at the relay explicitly.
  await page.goto(
    stack.site.page(
      `<now-playing src="${stack.relay.wsUrl}" station="live"><span class="fallback">Radio Example</span></now-playing>`,
      '<script type="module" src="/assets/now-playing.js"></script>',
    ),
  );
  const element = page.locator('now-playing');
  await expect(element).toHaveAttribute('status', 'connecting');
  await expect(page.locator('.fallback')).toBeVisible();
  await expect(textPart(element)).toHaveCount(0);
  stack.relay.thaw();
  await expect(textPart(element)).toHaveText('Nina Simone – Feeling Good');
  await expect(page.locator('.fallback')).toBeHidden();
});

test('a hostile title renders literally and runs nothing', async ({ page, stack }) => {
  await openStationPage(page, stack, `<now-playing src="${stack.relay.wsUrl}" format="{text}"></now-playing>`);
  const element = page.locator('now-playing');
  await expect(element).toHaveAttribute('status', 'live');
  const hostile = `<img src=x onerror=window.__xss=1> "double" 'single' &amp; – 宇多田ヒカル 初恋 🎵`;
  await stack.fake.setTitle('/live', hostile);
  // The relay decodes the fake's &#8211;-style references (as real Icecast writes them) and &amp;;
  // the element shows every other character as it is.
  const expected = `<img src=x onerror=window.__xss=1> "double" 'single' & – 宇多田ヒカル 初恋 🎵`;
  await expect(textPart(element)).toHaveText(expected);
  expect(await element.evaluate((el) => el.shadowRoot!.querySelectorAll('img').length)).toBe(0);
  expect(await page.locator('img').count()).toBe(0);
  // A control: the same markup put in the same shadow root as HTML, after the title was rendered, does
  // fire its onerror in this browser. Once it has, an <img> injected by the render (which would have
  // started loading earlier, from the same server) would have fired too.
  await element.evaluate((el) =>
    el.shadowRoot!.querySelector('.sr-only')!.insertAdjacentHTML('beforeend', '<img src=x onerror=window.__control=1>'),
  );
  await expect.poll(() => page.evaluate(() => (window as { __control?: unknown }).__control)).toBe(1);
  expect(await page.evaluate(() => (window as { __xss?: unknown }).__xss)).toBeUndefined();
});

test('a patch that does not change the displayed text leaves the marquee running where it is', async ({ page, stack }) => {
  await stack.fake.setTitle('/live', 'A rather long artist name for a narrow box - and an even longer title that overflows');
  await openStationPage(page, stack, `<now-playing style="width: 200px" src="${stack.relay.wsUrl}"></now-playing>`);
  const element = page.locator('now-playing');
  await expect(element).toHaveAttribute('data-scrolling', '');
  const before = await element.evaluate((el) => {
    const track = el.shadowRoot!.querySelector<HTMLElement & { __mark?: number }>('.track')!;
    track.__mark = 42;
    return { time: Number(track.getAnimations()[0]!.currentTime), listeners: (el as HTMLElementTagNameMap['now-playing']).nowPlaying?.listeners };
  });
  await stack.fake.setMount('/live', { listeners: (before.listeners ?? 0) + 5 });
  await expect.poll(() => element.evaluate((el) => (el as HTMLElementTagNameMap['now-playing']).nowPlaying?.listeners)).toBe((before.listeners ?? 0) + 5);
  const after = await element.evaluate((el) => {
    const track = el.shadowRoot!.querySelector<HTMLElement & { __mark?: number }>('.track')!;
    return { mark: track.__mark, time: Number(track.getAnimations()[0]?.currentTime) };
  });
  expect(after.mark).toBe(42); // the same DOM node
  expect(after.time).toBeGreaterThan(before.time); // the animation went on, it did not restart
  await expectClients(stack.relay, 1);
});
