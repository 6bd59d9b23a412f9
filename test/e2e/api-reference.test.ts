import { describe, expect, it } from 'vitest';
import { apiRoutes } from '../../api/routes';
import { apiUrl } from '../integration/helpers';
import { useBrowser } from './browser';

/**
 * The API reference page (the local cloud's /docs) in headless Chromium: Swagger UI loads from
 * the API's own origin, reads /openapi.json and renders every documented operation.
 */

const browser = useBrowser();

describe('the API reference page', () => {
  it('renders every documented operation, loading nothing from another origin', async () => {
    const page = await browser.current.newPage();
    const origin = new URL(apiUrl()).origin;
    const elsewhere: string[] = [];
    page.on('request', (request) => {
      const url = new URL(request.url());
      if (url.protocol.startsWith('http') && url.origin !== origin) elsewhere.push(request.url());
    });
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    try {
      await page.goto(`${apiUrl()}/docs`);
      await page.locator('.opblock').first().waitFor({ timeout: 30_000 });

      const rendered = await page.locator('.opblock-summary').evaluateAll((summaries) =>
        summaries.map((summary) => {
          const method = summary.querySelector('.opblock-summary-method')?.textContent?.trim() ?? '';
          const path = summary.querySelector('.opblock-summary-path')?.getAttribute('data-path') ?? '';
          return `${method} ${path}`;
        }),
      );
      const documented = apiRoutes.map((route) => `${route.method.toUpperCase()} ${route.path}`);
      expect(rendered.sort()).toEqual(documented.sort());
      // The title comes from the document, so the page did read it.
      await expect.poll(() => page.locator('.info .title').innerText()).toContain('leadflow API');
      expect(elsewhere).toEqual([]);
      expect(pageErrors).toEqual([]);
    } finally {
      await page.close();
    }
  });
});
