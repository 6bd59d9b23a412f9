/**
 * An HTTP API's CORS configuration, applied as API Gateway does: it answers preflights itself
 * (whatever the routes), adds the configured headers to every other answer for an allowed origin,
 * and drops any CORS header the integration sent.
 */
import type { CorsSpec } from './assembly';

/** A CORS preflight: OPTIONS with `Origin` and `Access-Control-Request-Method` (header names lowercased). */
export function isPreflight(method: string, headers: Record<string, string | undefined>): boolean {
  return method.toUpperCase() === 'OPTIONS' && Boolean(headers.origin) && Boolean(headers['access-control-request-method']);
}

/** `*`, an exact origin, or a scheme wildcard (`https://*`), case-insensitively. */
export function originAllowed(cors: CorsSpec, origin: string | undefined): boolean {
  if (!origin) return false;
  const wanted = origin.toLowerCase();
  return cors.allowOrigins.some((allowed) => {
    const rule = allowed.toLowerCase();
    if (rule === '*') return true;
    if (rule.endsWith('://*')) return wanted.startsWith(rule.slice(0, -1));
    return rule === wanted;
  });
}

function allowOriginValue(cors: CorsSpec, origin: string): string {
  // With credentials a browser refuses `*`: the origin itself is echoed.
  return cors.allowOrigins.includes('*') && !cors.allowCredentials ? '*' : origin;
}

/** The gateway's own answer to a preflight: 204, with the CORS headers only for an allowed origin. */
export function preflightHeaders(cors: CorsSpec, headers: Record<string, string | undefined>): Record<string, string> {
  const origin = headers.origin;
  if (!origin || !originAllowed(cors, origin)) return {};
  const answer: Record<string, string> = { 'access-control-allow-origin': allowOriginValue(cors, origin) };
  if (cors.allowMethods.length > 0) answer['access-control-allow-methods'] = cors.allowMethods.join(',');
  if (cors.allowHeaders.length > 0) answer['access-control-allow-headers'] = cors.allowHeaders.join(',');
  if (cors.maxAgeSeconds !== undefined) answer['access-control-max-age'] = String(cors.maxAgeSeconds);
  if (cors.allowCredentials) answer['access-control-allow-credentials'] = 'true';
  return answer;
}

/**
 * The headers of any other answer (an integration's or the gateway's): the integration's own CORS
 * headers are dropped, and an allowed origin gets the configured ones.
 */
export function withCorsHeaders(
  cors: CorsSpec,
  origin: string | undefined,
  headers: Record<string, string | string[]>,
): Record<string, string | string[]> {
  const answer = Object.fromEntries(Object.entries(headers).filter(([name]) => !name.toLowerCase().startsWith('access-control-')));
  if (!origin || !originAllowed(cors, origin)) return answer;
  answer['access-control-allow-origin'] = allowOriginValue(cors, origin);
  if (cors.exposeHeaders.length > 0) answer['access-control-expose-headers'] = cors.exposeHeaders.join(',');
  if (cors.allowCredentials) answer['access-control-allow-credentials'] = 'true';
  return answer;
}
