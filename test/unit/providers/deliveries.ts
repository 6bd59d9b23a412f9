import { readFileSync } from 'node:fs';
import type { Delivery } from '../../../core/providers/types';

/** A provider's documented example, byte for byte. */
export function providerFixture(provider: string, file: string): string {
  return readFileSync(new URL(`../../fixtures/providers/${provider}/${file}`, import.meta.url), 'utf8');
}

/** A JSON delivery as the capture route hands it to an adapter (a body that is not JSON has no `json`). */
export function jsonDelivery(rawBody: string, headers: Record<string, string> = {}, overrides: Partial<Delivery> = {}): Delivery {
  let json: unknown;
  try {
    json = JSON.parse(rawBody);
  } catch {
    json = undefined;
  }
  return {
    mediaType: 'application/json',
    rawBody,
    json,
    fields: [],
    files: [],
    headers,
    query: {},
    method: 'POST',
    url: 'https://api.example.com/v1/forms/x/submissions',
    ...overrides,
  };
}
