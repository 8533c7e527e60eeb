import type { Locator } from '@playwright/test';
import { afterTwoFrames, expect, openStationPage, test, textPart } from './support/fixtures.js';

const LONG = 'Godspeed You! Black Emperor - Storm (Lift Yr. Skinny Fists Like Antennas to Heaven), a title far too long for the box';

/** Read once, not retried: the wait before it is a signal (afterTwoFrames). */
const isScrolling = (element: Locator) => element.evaluate((el) => el.hasAttribute('data-scrolling'));

const runningAnimations = (element: Locator) =>
  element.evaluate((el) => el.shadowRoot!.getAnimations().filter((a) => a.playState === 'running').length);

test.describe('scroll="auto"', () => {
  test('long text scrolls, seamlessly: two copies, the second hidden from screen readers', async ({ page, stack }) => {
    await stack.fake.setTitle('/live', LONG);
    await openStationPage(page, stack, `<now-playing style="width: 240px" src="${stack.relay.wsUrl}"></now-playing>`);
    const element = page.locator('now-playing');
    await expect(element).toHaveAttribute('data-scrolling', '');
    expect(await runningAnimations(element)).toBe(1);
    await expect(element.locator('.copy')).toHaveAttribute('aria-hidden', 'true');
    const [first, copy] = await element.locator('.text').allTextContents();
    expect(copy).toBe(first);
    // Seamless: the loop moves the track by exactly half its width, which must be one copy plus its
    // gap, so the frame after the loop point looks like the frame before it.
    const geometry = await element.evaluate((el) => {
      const root = el.shadowRoot!;
      const [a, b] = [...root.querySelectorAll<HTMLElement>('.text')].map((t) => t.getBoundingClientRect());
      return { track: root.querySelector<HTMLElement>('.track')!.getBoundingClientRect().width, step: b!.left - a!.left };
    });
    expect(Math.abs(geometry.track / 2 - geometry.step)).toBeLessThan(1);
    // Compositor-only: the animation moves the track with a transform, nothing else.
    const properties = await element.evaluate((el) =>
      ((el.shadowRoot!.getAnimations()[0] as CSSAnimation).effect as KeyframeEffect).getKeyframes().flatMap((k) => Object.keys(k)),
    );
    expect(properties.filter((p) => !['offset', 'easing', 'composite', 'computedOffset'].includes(p))).toEqual(['transform', 'transform']);
  });

  test('a new title starts the marquee from its beginning', async ({ page, stack }) => {
    await stack.fake.setTitle('/live', LONG);
    await openStationPage(page, stack, `<now-playing style="width: 240px" src="${stack.relay.wsUrl}" format="{text}"></now-playing>`);
    const element = page.locator('now-playing');
    await expect(element).toHaveAttribute('data-scrolling', '');
    const elapsed = () => element.evaluate((el) => Number(el.shadowRoot!.getAnimations()[0]?.currentTime ?? NaN));
    await expect.poll(elapsed, { timeout: 10_000 }).toBeGreaterThan(3000);
    const next = `${LONG}, and then another one just as long`;
    await stack.fake.setTitle('/live', next);
    await expect(textPart(element)).toHaveText(next);
    expect(await elapsed()).toBeLessThan(3000); // (an infinite CSS animation's time only grows)
  });

  test('the marquee pauses while hovered and resumes after', async ({ page, stack }) => {
    await stack.fake.setTitle('/live', LONG);
    await openStationPage(page, stack, `<now-playing style="width: 240px" src="${stack.relay.wsUrl}"></now-playing><p id="away">elsewhere</p>`);
    const element = page.locator('now-playing');
    await expect(element).toHaveAttribute('data-scrolling', '');
    const playState = () => element.evaluate((el) => el.shadowRoot!.getAnimations()[0]?.playState);
    await element.hover();
    await expect.poll(playState).toBe('paused');
    await page.locator('#away').hover();
    await expect.poll(playState).toBe('running');
  });

  test('short text does not scroll', async ({ page, stack }) => {
    await openStationPage(page, stack, `<now-playing style="width: 600px" src="${stack.relay.wsUrl}"></now-playing>`);
    const element = page.locator('now-playing');
    await expect(textPart(element)).toHaveText('Nina Simone – Feeling Good');
    await afterTwoFrames(page); // the scroll decision has been made
    expect(await isScrolling(element)).toBe(false);
    expect(await runningAnimations(element)).toBe(0);
    // The same text in a box too narrow for it does scroll: the decision above was a real one.
    await element.evaluate((el) => ((el as HTMLElement).style.width = '60px'));
    await expect(element).toHaveAttribute('data-scrolling', '');
  });

  test('text that grows too long starts scrolling; text that shrinks stops', async ({ page, stack }) => {
    await openStationPage(page, stack, `<now-playing style="width: 300px" src="${stack.relay.wsUrl}"></now-playing>`);
    const element = page.locator('now-playing');
    await expect(textPart(element)).toHaveText('Nina Simone – Feeling Good');
    await stack.fake.setTitle('/live', LONG);
    await expect(element).toHaveAttribute('data-scrolling', '');
    await stack.fake.setTitle('/live', 'Short - One');
    await expect(element).not.toHaveAttribute('data-scrolling');
  });
});

test.describe('prefers-reduced-motion: reduce', () => {
  test('nothing animates; the full text stays available', async ({ page, stack }) => {
    await page.emulateMedia({ reducedMotion: 'reduce' });
    await stack.fake.setTitle('/live', LONG);
    await openStationPage(page, stack, `<now-playing style="width: 240px" src="${stack.relay.wsUrl}" format="{text}"></now-playing>`);
    const element = page.locator('now-playing');
    await expect(textPart(element)).toHaveText(LONG);
    await afterTwoFrames(page); // the scroll decision has been made
    expect(await runningAnimations(element)).toBe(0);
    expect(await isScrolling(element)).toBe(false);
    await expect(textPart(element)).toHaveAttribute('title', LONG);
    // Without the preference the same text scrolls: the element follows the setting as it changes.
    await page.emulateMedia({ reducedMotion: 'no-preference' });
    await expect(element).toHaveAttribute('data-scrolling', '');
    await expect.poll(() => runningAnimations(element)).toBe(1);
  });

  test('scroll="always" still does not animate', async ({ page, stack }) => {
    await page.emulateMedia({ reducedMotion: 'reduce' });
    await openStationPage(page, stack, `<now-playing scroll="always" src="${stack.relay.wsUrl}"></now-playing>`);
    const element = page.locator('now-playing');
    await expect(textPart(element)).toHaveText('Nina Simone – Feeling Good');
    await afterTwoFrames(page); // the scroll decision has been made
    expect(await runningAnimations(element)).toBe(0);
    expect(await isScrolling(element)).toBe(false);
  });
});
