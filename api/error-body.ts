import * as z from 'zod';

/** One thing wrong with a request: where (`rules.3.points`, `Idempotency-Key`, `(body)`) and what. */
export const errorDetailSchema = z
  .object({
    path: z.string(),
    message: z.string(),
    /** Set when the detail is about one scoring rule, so its author can find it. */
    ruleId: z.string().optional(),
  })
  .meta({ description: 'One problem with the request: where it is and what is wrong.' });

/**
 * Every error answer of the API, 4xx and 5xx alike (the shared HTTP wrapper builds it from a
 * domain error's code, message and details; a 5xx never carries internals).
 */
export const errorBodySchema = z
  .object({
    error: z.object({
      code: z.string().meta({ description: 'Stable, machine-readable.', examples: ['validation_failed', 'invalid_stage_move'] }),
      message: z.string().meta({ description: 'For people; may change.' }),
      details: z.array(errorDetailSchema),
    }),
  })
  .meta({
    description: 'The JSON error shape of every error answer.',
    examples: [
      {
        error: {
          code: 'validation_failed',
          message: 'the submission has invalid fields',
          details: [{ path: 'email', message: 'is not a valid email address' }],
        },
      },
    ],
  });
export type ErrorBody = z.infer<typeof errorBodySchema>;

/**
 * What API Gateway itself answers, before any function runs: `401` without a valid API key and
 * `403` without the route's scope (the authorizer's verdict), `429` over the stage's throttle.
 */
export const gatewayErrorBodySchema = z
  .object({ message: z.string().meta({ examples: ['Unauthorized', 'Forbidden', 'Too Many Requests'] }) })
  .meta({ description: "API Gateway's own answer (authorization and throttling)." });
