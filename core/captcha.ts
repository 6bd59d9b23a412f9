import * as z from 'zod';
import { ForbiddenError } from './errors';

/**
 * Optional human check per form: Cloudflare Turnstile or hCaptcha. The browser widget puts a token
 * in the form under the provider's field name; capture sends it, with the form's secret, to the
 * provider's siteverify endpoint before anything is stored.
 */
export const captchaProviders = ['turnstile', 'hcaptcha'] as const;
export type CaptchaProvider = (typeof captchaProviders)[number];

export const captchaVerifyUrls: Record<CaptchaProvider, string> = {
  turnstile: 'https://challenges.cloudflare.com/turnstile/v0/siteverify',
  hcaptcha: 'https://api.hcaptcha.com/siteverify',
};

/** Where each provider's widget puts its token in the form (also accepted as a JSON body property). */
export const captchaTokenFields: Record<CaptchaProvider, string> = {
  turnstile: 'cf-turnstile-response',
  hcaptcha: 'h-captcha-response',
};

export const captchaSettingsSchema = z
  .object({
    provider: z.enum(captchaProviders),
    /** The provider's secret key for this site; stored encrypted like a signing secret, never shown again. */
    secret: z.string().min(1).max(256),
    /** The siteverify endpoint; the provider's own by default (a self-hosted or test stand-in may replace it). */
    verifyUrl: z
      .url({ protocol: /^https?$/, error: 'must be an http or https URL' })
      .max(500)
      .optional(),
  })
  .meta({ description: 'Require a Cloudflare Turnstile or hCaptcha token with every public submission.' });
export type CaptchaSettings = z.infer<typeof captchaSettingsSchema>;

/** What siteverify answers (both providers share this shape). */
export const siteverifyAnswerSchema = z.object({
  success: z.boolean(),
  'error-codes': z.array(z.string()).optional(),
});

export class CaptchaFailedError extends ForbiddenError {
  override readonly code = 'captcha_failed';
  constructor(message: string) {
    super(message);
    this.name = 'CaptchaFailedError';
  }
}

/** The token among the submitted fields, removed from them (it is no lead data). */
export function takeCaptchaToken(
  fields: Array<[string, string]>,
  provider: CaptchaProvider,
): { token: string | undefined; rest: Array<[string, string]> } {
  const name = captchaTokenFields[provider];
  const token = fields.find(([field, value]) => field === name && value.trim() !== '')?.[1];
  return { token: token?.trim(), rest: fields.filter(([field]) => field !== name) };
}
