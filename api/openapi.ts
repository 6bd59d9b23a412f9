import type * as z from 'zod';
import {
  createDocument,
  type oas31,
  type ZodOpenApiContentObject,
  type ZodOpenApiOperationObject,
  type ZodOpenApiPathsObject,
  type ZodOpenApiResponsesObject,
} from 'zod-openapi';
import { scopes } from '../core/api-key';
import { leadSchema } from '../core/lead';
import { metricsReportSchema } from '../core/metrics/report-schema';
import { scoringRulesSchema } from '../core/scoring';
import { stageMoveSchema } from '../core/stage-machine';
import { errorBodySchema, gatewayErrorBodySchema } from './error-body';
import { apiRoutes, apiTags, type ApiRoute } from './routes';

/** The security scheme's name in the document. */
export const API_KEY_SCHEME = 'apiKey';

/** The contract's version: v1 paths; bumped when the document changes in a way clients notice. */
const API_VERSION = '1.0.0';

/**
 * Schemas shown once under components and referenced wherever an operation uses them: the
 * domain's main shapes, named here rather than in core/ so the domain modules stay unaware of the
 * document. (Shapes nested in these, like a lead's score, are shown inline: named separately,
 * zod-openapi would emit each twice, as input and as output.)
 */
const namedSchemas: Record<string, z.ZodType> = {
  Error: errorBodySchema,
  GatewayError: gatewayErrorBodySchema,
  Lead: leadSchema,
  StageMove: stageMoveSchema,
  ScoringRules: scoringRulesSchema,
  MetricsReport: metricsReportSchema,
};

/** The OpenAPI 3.1 document of the HTTP API, generated from the route registry. */
export function openApiDocument(): oas31.OpenAPIObject {
  return createDocument({
    openapi: '3.1.0',
    info: {
      title: 'leadflow API',
      version: API_VERSION,
      description:
        'Lead capture, scoring, the sales lifecycle and funnel metrics. Errors are JSON: ' +
        '`{"error": {"code", "message", "details": [{"path", "message"}]}}`. Writes accept an `Idempotency-Key`.',
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    // Relative: the document is served by the API it describes, wherever that is deployed.
    servers: [{ url: '/' }],
    tags: apiTags.map((tag) => ({ ...tag })),
    components: {
      schemas: namedSchemas,
      securitySchemes: {
        [API_KEY_SCHEME]: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'leadflow API key',
          description:
            `An API key as \`Authorization: Bearer <key>\`. Keys carry scopes (${scopes.map((scope) => `\`${scope}\``).join(', ')}; ` +
            '`admin` holds all); each operation lists the scope it needs. The gateway checks them before anything runs: `401` ' +
            'without a valid key, `403` without the scope.',
        },
      },
    },
    paths: pathsOf(apiRoutes),
  });
}

function pathsOf(routes: readonly ApiRoute[]): ZodOpenApiPathsObject {
  const paths: ZodOpenApiPathsObject = {};
  for (const route of routes) {
    paths[route.path] = { ...paths[route.path], [route.method]: operationOf(route) };
  }
  return paths;
}

function operationOf(route: ApiRoute): ZodOpenApiOperationObject {
  const needs =
    route.access === 'public' ? 'Public.' : `Needs the \`${route.access}\` scope${route.access === 'admin' ? '' : ' (or `admin`)'}.`;
  return {
    operationId: route.operationId,
    summary: route.summary,
    description: [route.description, needs].filter(Boolean).join('\n\n'),
    tags: [route.tag],
    // OpenAPI 3.1 lets a non-OAuth requirement list the roles it needs: here, the key's scope.
    security: route.access === 'public' ? [] : [{ [API_KEY_SCHEME]: [route.access] }],
    ...(route.params && { requestParams: route.params }),
    ...(route.body && {
      requestBody: {
        required: route.body.optional !== true,
        ...(route.body.description && { description: route.body.description }),
        content: contentOf(route.body.content),
      },
    }),
    responses: responsesOf(route),
  };
}

function responsesOf(route: ApiRoute): ZodOpenApiResponsesObject {
  const responses: ZodOpenApiResponsesObject = {};
  for (const [status, response] of Object.entries(route.responses)) {
    responses[status as `${1 | 2 | 3 | 4 | 5}${string}`] = {
      description: response.description,
      ...(response.content && { content: contentOf(response.content) }),
      ...(response.headers && { headers: response.headers }),
    };
  }
  // Every route is behind its stage's throttle.
  responses['429'] = {
    description: 'Over the stage\'s request rate (`{"message":"Too Many Requests"}`): retry shortly.',
    content: contentOf({ 'application/json': gatewayErrorBodySchema }),
  };
  return responses;
}

function contentOf(content: Record<string, z.ZodType>): ZodOpenApiContentObject {
  return Object.fromEntries(Object.entries(content).map(([mediaType, schema]) => [mediaType, { schema }]));
}
