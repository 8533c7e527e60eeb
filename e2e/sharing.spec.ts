import { expect, expectClients, openStationPage, test, textPart } from './support/fixtures.js';

test.use({ mounts: { '/live': { title: 'A - One' }, '/second': { title: 'B - Two' } } });

test('two elements with the same src share one connection; two stations render independently', async ({ page, stack }) => {
  const src = stack.relay.wsUrl;
  await openStationPage(
    page,
    stack,
    `<now-playing id="a" src="${src}" station="live"></now-playing>
     <now-playing id="b" src="${src}" station="live" format="{title} by {artist}"></now-playing>
     <now-playing id="c" src="${src}" station="second"></now-playing>`,
  );
  await expect(textPart(page.locator('#a'))).toHaveText('A – One');
  await expect(textPart(page.locator('#b'))).toHaveText('One by A');
  await expect(textPart(page.locator('#c'))).toHaveText('B – Two');
  await expectClients(stack.relay, 2); // one per station, not one per element

  await stack.fake.setTitle('/second', 'C - Three');
  await expect(textPart(page.locator('#c'))).toHaveText('C – Three');
  await expect(textPart(page.locator('#a'))).toHaveText('A – One');

  // The shared socket closes with the last element that uses it.
  await page.evaluate(() => document.querySelector('#c')!.remove());
  await expectClients(stack.relay, 1);
  await page.evaluate(() => document.querySelector('#a')!.remove());
  await expectClients(stack.relay, 1);
  await page.evaluate(() => document.querySelector('#b')!.remove());
  await expectClients(stack.relay, 0);
});
