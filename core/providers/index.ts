import { calendlyProvider } from './calendly';
import { genericProvider } from './generic';
import { hubspotProvider } from './hubspot';
import { jotformProvider } from './jotform';
import { netlifyProvider } from './netlify';
import { tallyProvider } from './tally';
import { typeformProvider } from './typeform';
import type { ProviderAdapter, ProviderId } from './types';
import { unbounceProvider } from './unbounce';
import { webflowProvider } from './webflow';

export type { Delivery, FieldMap, ProviderAdapter, ProviderId, ProviderSubmission, ReceivedFile } from './types';
export { providerIds } from './types';

const adapters: Record<ProviderId, ProviderAdapter> = {
  generic: genericProvider,
  typeform: typeformProvider,
  tally: tallyProvider,
  webflow: webflowProvider,
  hubspot: hubspotProvider,
  unbounce: unbounceProvider,
  jotform: jotformProvider,
  netlify: netlifyProvider,
  calendly: calendlyProvider,
};

/** The adapter for a form's provider. */
export function providerFor(id: ProviderId): ProviderAdapter {
  return adapters[id];
}
