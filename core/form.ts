import * as z from 'zod';

export const formIdSchema = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'a form id is 1-63 lowercase letters, digits or dashes');

/** A landing-page form's configuration, stored in the table and managed through the admin API. */
export const formSchema = z.object({
  formId: formIdSchema,
  name: z.string().min(1).max(200),
  /** Origins allowed to post with fetch/XHR (CORS). A plain HTML form post needs no CORS. */
  allowedOrigins: z.array(z.url().max(300)).max(50).default([]),
  /** Where a browser form post is sent afterwards (303). Without it the answer is JSON. */
  redirectUrl: z.url().max(2000).optional(),
  /** Hidden field that humans leave empty; bots fill it in. */
  honeypotField: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/)
    .default('_gotcha'),
  /** When set, every submission must carry a valid `Leadflow-Signature`. */
  signingSecret: z.string().min(16).max(256).optional(),
});

export type Form = z.infer<typeof formSchema>;
export type FormInput = z.input<typeof formSchema>;

/** The form as the admin API shows it: the secret never leaves the table. */
export function publicForm(form: Form): Omit<Form, 'signingSecret'> & { signed: boolean } {
  const { signingSecret, ...rest } = form;
  return { ...rest, signed: signingSecret !== undefined };
}
