import * as z from 'zod';
import { captchaSettingsSchema } from './captcha';
import { updatePolicies } from './lead';
import { rateLimitSchema } from './rate-limit';
import { providerIds } from './providers/types';
import { isLeadFieldName } from './submission';

/** A web address: http or https only (a `javascript:` or `data:` redirect would run in the visitor's browser). */
const webUrl = z.url({ protocol: /^https?$/, error: 'must be an http or https URL' });

/** The consent text of a form that names none. */
export const DEFAULT_CONSENT_TEXT = 'Yes, email me news and offers. I can unsubscribe at any time.';

export const formIdSchema = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'a form id is 1-63 lowercase letters, digits or dashes');

/** A landing-page form's configuration, stored in the table and managed through the admin API. */
export const formSchema = z.object({
  formId: formIdSchema,
  name: z.string().min(1).max(200),
  /** Origins allowed to post with fetch/XHR (CORS). A plain HTML form post needs no CORS. */
  allowedOrigins: z.array(webUrl.max(300)).max(50).default([]),
  /** Where a browser form post is sent afterwards (303). Without it the answer is JSON. */
  redirectUrl: webUrl.max(2000).optional(),
  /** Hidden field that humans leave empty; bots fill it in. */
  honeypotField: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/)
    // A honeypot named like a lead field would drop every real submission as spam.
    .refine((name) => !isLeadFieldName(name), { error: 'must not be the name of a lead field (such as email or company)' })
    .default('_gotcha'),
  /**
   * The form tool that posts to this form: its body format and signature scheme. `generic` is
   * leadflow's own (urlencoded, multipart or JSON fields; `Leadflow-Signature`).
   */
  provider: z.enum(providerIds).default('generic'),
  /**
   * The provider's names for questions (a field id, ref, key or label) to lead fields
   * (`email`, `firstName`, `company`...) or custom field names.
   */
  fieldMap: z
    .record(z.string().min(1).max(200), z.string().min(1).max(64))
    .default({})
    .refine((map) => Object.keys(map).length <= 200, {
      error: 'maps at most 200 fields',
    }),
  /**
   * When set, every submission must carry a valid signature in the provider's scheme (for
   * providers that cannot sign, the secret as a `?token=` in the webhook URL).
   */
  signingSecret: z.string().min(16).max(256).optional(),
  /**
   * What a submission nobody vouches for (unsigned, without an API key) may do to a known lead.
   * `fill-blanks` (the default): fill its blank fields and record the touch in its history, never
   * change what is known, move its last touch or lower its score. `overwrite`: newer values win.
   * Signed and keyed submissions always overwrite.
   */
  updatePolicy: z.enum(updatePolicies).default('fill-blanks'),
  /**
   * What a person agrees to by ticking the form's consent box, recorded with each consent given
   * through it (the proof of consent: when, which form, what text).
   */
  consentText: z.string().trim().min(1).max(2000).default(DEFAULT_CONSENT_TEXT),
  /**
   * Double opt-in: a submission with consent only asks for it, with a confirmation email holding a
   * signed link; consent is recorded when the person follows it.
   */
  doubleOptIn: z.boolean().default(false),
  /** Per-form and per-client limits on public submissions (429 with Retry-After beyond them). */
  rateLimit: rateLimitSchema.prefault({}),
  /** When set, every public submission must carry a solved Turnstile or hCaptcha token. */
  captcha: captchaSettingsSchema.optional(),
});

export type Form = z.infer<typeof formSchema>;
export type FormInput = z.input<typeof formSchema>;

/** A form as stored: its signing secret and CAPTCHA secret only encrypted (core/secret-box.ts, under the FormSecretsKey). */
export const storedFormSchema = formSchema.omit({ signingSecret: true, captcha: true }).extend({
  encryptedSigningSecret: z.string().optional(),
  captcha: captchaSettingsSchema.omit({ secret: true }).extend({ encryptedSecret: z.string() }).optional(),
});
export type StoredForm = z.infer<typeof storedFormSchema>;

/** The form as the admin API shows it: the secrets never leave the table, even encrypted. */
export function publicForm(form: StoredForm): Omit<StoredForm, 'encryptedSigningSecret' | 'captcha'> & {
  signed: boolean;
  captcha?: { provider: string; verifyUrl?: string };
} {
  const { encryptedSigningSecret, captcha, ...rest } = form;
  return {
    ...rest,
    signed: encryptedSigningSecret !== undefined,
    ...(captcha && { captcha: { provider: captcha.provider, ...(captcha.verifyUrl && { verifyUrl: captcha.verifyUrl }) } }),
  };
}
