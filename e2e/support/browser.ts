/**
 * Which Chromium Playwright drives: its own build where it is installed (the usual developer setup),
 * else CHROMIUM_PATH, else Debian's /usr/bin/chromium (machines where `playwright install` cannot
 * download anything).
 */
import { existsSync } from 'node:fs';
import { chromium, type LaunchOptions } from '@playwright/test';

export function chromiumLaunchOptions(): LaunchOptions {
  const args = ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking'];
  if (process.env.CHROMIUM_PATH) return { executablePath: process.env.CHROMIUM_PATH, args };
  let bundled: string | undefined;
  try {
    bundled = chromium.executablePath();
  } catch {
    bundled = undefined;
  }
  if (bundled && existsSync(bundled)) return { args };
  return { executablePath: '/usr/bin/chromium', args };
}
