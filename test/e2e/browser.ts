import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';

/**
 * Debian's headless Chromium, as the machines have it. Without the background-networking flags
 * Chromium tries hosts this offline machine cannot reach.
 */
const chromiumFlags = [
  '--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic',
];

/** One browser for the calling test file, closed after it; read `.current` inside tests. */
export function useBrowser(): { current: Browser } {
  const handle = {} as { current: Browser };
  beforeAll(async () => {
    handle.current = await chromium.launch({ executablePath: '/usr/bin/chromium', args: chromiumFlags });
  });
  afterAll(async () => {
    await handle.current?.close();
  });
  return handle;
}
