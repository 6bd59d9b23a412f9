import httpContentNegotiation from '@middy/http-content-negotiation';

/**
 * Content negotiation on `Accept` for a route that answers in several media types (most preferred
 * first); the choice reaches the handler as `request.preferredMediaType`. Its own module, so only
 * the routes that negotiate bundle it.
 */
export function negotiate(mediaTypes: string[]): ReturnType<typeof httpContentNegotiation> {
  return httpContentNegotiation({
    parseCharsets: false,
    parseEncodings: false,
    parseLanguages: false,
    availableMediaTypes: mediaTypes,
    // An Accept that matches nothing still gets the default, as most APIs answer.
    failOnMismatch: false,
  });
}
