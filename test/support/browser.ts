/**
 * Headless Chromium for browser tests: the binary @sparticuz/chromium ships (brotli-compressed inside the npm
 * package, so `npm ci` brings it; no download, no system browser), driven by puppeteer-core. It needs only
 * libc, libexpat and libgcc from the system; the fonts come from the package too, so pages look the same on
 * every machine.
 */
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import chromium from '@sparticuz/chromium';
import puppeteer, { type Browser } from 'puppeteer-core';

export async function launchBrowser(): Promise<Browser> {
  // Unpacked on first use into the system's temporary folder (/tmp/chromium, /tmp/fonts), then reused.
  const executablePath = await chromium.executablePath();
  return puppeteer.launch({
    executablePath,
    headless: 'shell',
    // The package's flags for a machine without a GPU, minus the ones that turn the page's security off;
    // no background calls home (this machine has no network beyond loopback).
    args: [
      ...chromium.args.filter(
        (a) => !/^--(disable-web-security|allow-running-insecure-content|headless)/.test(a),
      ),
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
    env: { ...process.env, FONTCONFIG_FILE: join(dirname(executablePath), 'fonts', 'fonts.conf') },
    defaultViewport: { width: 1280, height: 900 },
  });
}

/** Where screenshots go: CONSOLE_SCREENSHOTS_DIR, else a folder under the system's temporary one. */
export function screenshotsDir(): string {
  const dir = process.env.CONSOLE_SCREENSHOTS_DIR ?? join(tmpdir(), 'ecs-autopilot-console-screenshots');
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Opens `hash` in the console page and waits for its view to be drawn (or to fail). */
export async function show(page: import('puppeteer-core').Page, hash: string): Promise<string> {
  await page.evaluate(`(() => {
    document.getElementById('view').dataset.state = 'stale';
    location.hash = ${JSON.stringify(hash)};
  })()`);
  await page.waitForSelector('#view[data-state="ready"], #view[data-state="error"]', { timeout: 15_000 });
  return page.$eval('#view', (v) => v.textContent ?? '');
}
