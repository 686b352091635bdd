// Headless Chromium for the report's browser tests: Debian's chromium driven by playwright-core
// (never a downloaded browser). Missing Chromium fails loudly unless AHA_SKIP_BROWSER_TESTS=1.
import { existsSync, rmSync } from 'node:fs';
import { chromium, type BrowserContext } from 'playwright-core';
import { scratchDir } from '../scratch-dir.js';

export const CHROMIUM = process.env.AHA_CHROMIUM ?? '/usr/bin/chromium';

/** A reason to skip, or false. Skipping happens only on request; a missing browser is an error. */
export function browserSkip(): string | false {
  if (process.env.AHA_SKIP_BROWSER_TESTS === '1') return 'AHA_SKIP_BROWSER_TESTS=1 is set';
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium not found at ${CHROMIUM}: install it (apt-get install -y chromium) or set AHA_CHROMIUM; set AHA_SKIP_BROWSER_TESTS=1 to skip browser tests`);
  }
  return false;
}

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** Launches Chromium with a fresh profile and no network features; close() removes the profile. */
export async function launchBrowser(): Promise<Browser> {
  const profile = scratchDir('aha-chromium-');
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 900 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
