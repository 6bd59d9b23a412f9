import * as z from 'zod';
import { formIdSchema, formSchema } from '../core/form';
import { idempotencyKeySchema } from '../core/idempotency';
import { leadIdSchema } from '../core/lead';
import { engagementEventSchema, gradeSchema } from '../core/scoring';
import { stages } from '../core/stages';
import { SIGNATURE_HEADER, SIGNATURE_TOLERANCE_SECONDS } from '../core/signature';
import { submissionSchema, MAX_CUSTOM_FIELDS } from '../core/submission';

/**
 * The parts of requests that no domain schema described yet: path, query and header parameters,
 * and the request bodies that differ from their domain schema (a field the server fills in).
 */

export const leadPathSchema = z.object({ leadId: leadIdSchema.meta({ examples: ['ld_2rVd0sCqS3eUq7m1n8Xw4A'] }) });
export const formPathSchema = z.object({ formId: formIdSchema.meta({ examples: ['default'] }) });
export const rescoreJobPathSchema = z.object({
  jobId: z
    .string()
    .min(1)
    .max(64)
    .meta({ examples: ['rescore-0b7f6c1e-5d4a-4f0e-9a53-3f1f0c6f3e2a'] }),
});

export const aggregationJobPathSchema = z.object({
  jobId: z
    .string()
    .min(1)
    .max(64)
    .meta({ examples: ['aggregate-0b7f6c1e-5d4a-4f0e-9a53-3f1f0c6f3e2a'] }),
});

export const idempotencyHeaderSchema = z.object({
  'Idempotency-Key': idempotencyKeySchema.optional().meta({
    description: 'Makes a retried write safe: the same key replays the first answer and has no second effect (keys live 24 h).',
  }),
});

export const ifMatchHeaderSchema = z.object({
  'If-Match': z.string().meta({
    description: 'The `etag` answered by `GET /v1/lifecycle-config` (a quoted version, `"3"`): the edit applies only to that version.',
    examples: ['"3"'],
  }),
});

export const captureHeadersSchema = idempotencyHeaderSchema.extend({
  [SIGNATURE_HEADER]: z
    .string()
    .optional()
    .meta({
      description: `Required when the form has a signing secret: \`t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>\`, at most ${SIGNATURE_TOLERANCE_SECONDS} s old.`,
    }),
});

/**
 * A form submission as it is posted: flat fields (urlencoded or a JSON object). Known fields in
 * any usual spelling (`first_name`, `FirstName`, `email_address`...) map to the submission's
 * fields; other fields are kept as custom fields.
 */
export const captureFieldsSchema = submissionSchema
  .omit({ customFields: true })
  .catchall(z.union([z.string().max(1000), z.number(), z.boolean()]))
  .meta({
    description: `The lead's fields. Unknown fields are kept as custom fields (at most ${MAX_CUSTOM_FIELDS}); the form's honeypot field must stay empty.`,
    examples: [{ email: 'ada@example.com', firstName: 'Ada', company: 'Analytical Engines', utm_source: 'newsletter' }],
  });

/** An engagement event as posted: `at` defaults to when it is received. */
export const engagementEventRequestSchema = engagementEventSchema.extend({
  at: engagementEventSchema.shape.at.optional().meta({ description: 'When it happened; default now.' }),
});

/** A form's configuration as PUT: the id comes from the path. */
export const formRequestSchema = formSchema.omit({ formId: true });

/** `GET /v1/leads`: one address, or a page of leads by stage, owner and grade. */
export const leadsQuerySchema = z
  .object({
    email: z
      .email()
      .max(320)
      .optional()
      .meta({ description: 'Find the lead for this address (0 or 1); alone, without the other filters.' }),
    stage: z.enum(stages).optional(),
    owner: z.email().max(320).optional().meta({ description: "The owner's email: a rep's leads." }),
    grade: gradeSchema.optional(),
    limit: z.coerce.number().int().min(1).max(100).default(25),
    cursor: z.string().max(2000).optional().meta({ description: 'The `nextCursor` of the previous page, with the same filters.' }),
  })
  .refine((query) => query.email === undefined || (query.stage ?? query.owner ?? query.grade ?? query.cursor) === undefined, {
    error: 'email finds one lead: it takes no other filter or cursor',
    path: ['email'],
  });
export type LeadsQuery = z.infer<typeof leadsQuerySchema>;

export const historyQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(100),
  cursor: z.string().max(2000).optional().meta({ description: 'The `nextCursor` of the previous page.' }),
});
