import { validate } from '@readme/openapi-parser';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { OpenAPIV3_1 } from 'openapi-types';
import { beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import type * as z from 'zod';
import { errorBodySchema } from '../../api/error-body';
import { API_KEY_SCHEME, openApiDocument } from '../../api/openapi';
import { apiRoutes } from '../../api/routes';
import { DomainError, NotFoundError } from '../../core/errors';
import { metricsReportSchema } from '../../core/metrics/report-schema';
import { metricsReport, type MetricsReport } from '../../core/metrics/report';
import { parseScoringRules } from '../../core/scoring';
import { InvalidStageMoveError } from '../../core/stage-machine';
import { buildApp } from '../../infra/app';

/**
 * The OpenAPI document: valid OpenAPI 3.1 by an independent validator, and describing exactly
 * the API that deploys (the synthesized template's routes) and that the README documents.
 */

const document = openApiDocument() as OpenAPIV3_1.Document;
const methods = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

/** `METHOD /path` of every operation in the document. */
function documentedRoutes(): string[] {
  return Object.entries(document.paths ?? {}).flatMap(([route, item]) =>
    methods.filter((method) => item?.[method]).map((method) => `${method.toUpperCase()} ${route}`),
  );
}

function operations(): Array<[string, OpenAPIV3_1.OperationObject]> {
  return Object.entries(document.paths ?? {}).flatMap(([route, item]) =>
    methods.flatMap((method) =>
      item?.[method] ? [[`${method.toUpperCase()} ${route}`, item[method]] as [string, OpenAPIV3_1.OperationObject]] : [],
    ),
  );
}

describe('the OpenAPI document', () => {
  it('is valid OpenAPI 3.1', async () => {
    expect(document.openapi).toBe('3.1.0');
    // A deep copy: the validator dereferences the document it is given in place.
    const result = await validate(structuredClone(document));
    expect(result.valid ? [] : result.errors).toEqual([]);
    expect(result.specification).toBe('OpenAPI');
  });

  it('serializes to JSON and back unchanged (it is served as JSON)', () => {
    expect(JSON.parse(JSON.stringify(document))).toEqual(document);
  });

  it('has one operation per registry route, with unique operation ids', () => {
    expect(documentedRoutes().sort()).toEqual(apiRoutes.map((route) => `${route.method.toUpperCase()} ${route.path}`).sort());
    const ids = operations().map(([, operation]) => operation.operationId);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('requires the API key with the route scope on every non-public operation, and answers 401 and 403 there', () => {
    expect(document.components?.securitySchemes?.[API_KEY_SCHEME]).toMatchObject({ type: 'http', scheme: 'bearer' });
    for (const route of apiRoutes) {
      const operation: OpenAPIV3_1.OperationObject = document.paths![route.path]![route.method]!;
      if (route.access === 'public') {
        expect(operation.security, route.path).toEqual([]);
        continue;
      }
      expect(operation.security, route.path).toEqual([{ [API_KEY_SCHEME]: [route.access] }]);
      expect(Object.keys(operation.responses ?? {}), route.path).toEqual(expect.arrayContaining(['401', '403']));
    }
  });

  it('gives every operation a tag, a success answer, and the JSON error shape for every error answer', () => {
    const tags = new Set(document.tags?.map((tag) => tag.name));
    for (const [route, operation] of operations()) {
      expect(
        operation.tags?.every((tag) => tags.has(tag)),
        route,
      ).toBe(true);
      const statuses = Object.keys(operation.responses ?? {});
      expect(
        statuses.some((status) => status.startsWith('2')),
        route,
      ).toBe(true);
      for (const status of statuses.filter((status) => /^[45]/.test(status))) {
        const response = operation.responses![status] as OpenAPIV3_1.ResponseObject;
        // A failing health check answers its health document, naming the dependency that is down (as health-check conventions do).
        if (route === 'GET /health' && status === '503') {
          const ok = operation.responses!['200'] as OpenAPIV3_1.ResponseObject;
          expect(response.content?.['application/json']?.schema).toEqual(ok.content?.['application/json']?.schema);
          continue;
        }
        // The gateway's own answers (the authorizer's 401/403 on keyed routes, the stage throttle's 429) are API Gateway's shape.
        const byGateway = status === '429' || (operation.security?.length !== 0 && ['401', '403'].includes(status));
        expect(response.content?.['application/json']?.schema, `${route} ${status}`).toEqual({
          $ref: `#/components/schemas/${byGateway ? 'GatewayError' : 'Error'}`,
        });
      }
      expect(statuses, route).toContain('429');
    }
  });
});

describe('the documented schemas', () => {
  /** What the shared HTTP wrapper answers for a domain error. */
  const errorBody = (error: DomainError) => ({ error: { code: error.code, message: error.message, details: error.details } });

  it('describe the error bodies the domain errors become', () => {
    const errors: DomainError[] = [new NotFoundError('there is no such lead'), new InvalidStageMoveError('new', 'won')];
    try {
      parseScoringRules({
        version: 'v1',
        weights: { fit: 0.5, engagement: 0.5 },
        grades: { A: 80, B: 60, C: 40 },
        routing: { qualify: { minTotal: 60 } },
        rules: [{ kind: 'list', id: 'x' }],
      });
    } catch (error) {
      errors.push(error as DomainError);
    }
    expect(errors).toHaveLength(3);
    for (const error of errors) {
      const body = errorBody(error);
      // Equal after parsing: nothing in the body is missing from the schema (it would be stripped).
      expect(errorBodySchema.parse(body)).toEqual(body);
    }
  });

  it('describe the metrics report as metricsReport() builds it', () => {
    // Each assignable to the other: the same shape (the type spells its email counts as an intersection).
    expectTypeOf<z.infer<typeof metricsReportSchema>>().toExtend<MetricsReport>();
    expectTypeOf<MetricsReport>().toExtend<z.infer<typeof metricsReportSchema>>();
    for (const groupBy of ['day', 'source', 'owner'] as const) {
      const report = metricsReport({ from: '2025-03-01', to: '2025-03-03', groupBy }, []);
      expect(metricsReportSchema.parse(report)).toEqual(report);
    }
  });
});

describe('the document and the deployment', () => {
  let templateRoutes: string[];

  beforeAll(() => {
    // Routes do not depend on the bundles: skip bundling (`aws:cdk:bundling-stacks` empty) to synth in seconds.
    const { app, stack } = buildApp({
      outdir: mkdtempSync(path.join(tmpdir(), 'leadflow-openapi-')),
      context: { 'aws:cdk:bundling-stacks': [] },
    });
    // synth runs cdk-nag's AwsSolutions checks and throws on any unacknowledged finding.
    const assembly = app.synth();
    const template = assembly.getStackByName(stack.stackName).template as {
      Resources: Record<string, { Type: string; Properties: { RouteKey: string } }>;
    };
    templateRoutes = Object.values(template.Resources)
      .filter((resource) => resource.Type === 'AWS::ApiGatewayV2::Route')
      .map((resource) => resource.Properties.RouteKey);
  });

  it('documents every route the API deploys, and nothing else (CORS preflights aside)', () => {
    const operationsDeployed = templateRoutes.filter((route) => !route.startsWith('OPTIONS '));
    expect(documentedRoutes().sort()).toEqual(operationsDeployed.sort());
  });

  it('leaves out only preflights of documented paths', () => {
    const documentedPaths = new Set(Object.keys(document.paths ?? {}));
    for (const preflight of templateRoutes.filter((route) => route.startsWith('OPTIONS '))) {
      expect(documentedPaths.has(preflight.slice('OPTIONS '.length)), preflight).toBe(true);
    }
  });
});

describe('the README', () => {
  /** `METHOD /path scope` of every route in the README's API table. */
  function readmeRoutes(): string[] {
    const readme = readFileSync(path.join(import.meta.dirname, '../../README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('\n## API\n'));
    const table = section.slice(0, section.indexOf('\n## ', 1));
    const rows = table.split('\n').filter((line) => line.startsWith('| `'));
    expect(rows.length).toBeGreaterThan(0);
    return rows.flatMap((row) => {
      const [, routeCell = '', scopeCell = ''] = row.split('|').map((cell) => cell.trim());
      // "public / signed": signing is a per-form setting; the route itself is public.
      const scope = scopeCell.startsWith('public') ? 'public' : scopeCell;
      return routesInCell(routeCell).map((route) => `${route} ${scope}`);
    });
  }

  /** "`PUT`/`GET /v1/forms/{formId}`", "`POST /a`, `GET /a/{id}`", "`GET /v1/metrics?from&to`" -> `METHOD /path`s. */
  function routesInCell(cell: string): string[] {
    const routes: string[] = [];
    let methodsBefore: string[] = [];
    for (const [, code = ''] of cell.matchAll(/`([^`]+)`/g)) {
      if (/^[A-Z]+$/.test(code)) {
        methodsBefore.push(code);
        continue;
      }
      const [method = '', target = ''] = code.split(' ');
      const routePath = target.split('?')[0]!;
      for (const one of [...methodsBefore, method]) routes.push(`${one} ${routePath}`);
      methodsBefore = [];
    }
    return routes;
  }

  it('lists exactly the documented routes, with the same scopes', () => {
    const documented = apiRoutes.map((route) => `${route.method.toUpperCase()} ${route.path} ${route.access}`);
    expect(readmeRoutes().sort()).toEqual(documented.sort());
  });
});
