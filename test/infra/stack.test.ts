import { Match, Template } from 'aws-cdk-lib/assertions';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../infra/app';

let template: Template;

beforeAll(() => {
  const { app, stack } = buildApp({ outdir: mkdtempSync(path.join(tmpdir(), 'leadflow-cdk-')) });
  // synth runs cdk-nag's AwsSolutions checks and throws on any unacknowledged finding.
  app.synth();
  template = Template.fromStack(stack);
});

type Statement = { Action: string | string[]; Resource: unknown };

function statements(): Statement[] {
  return Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
    (policy) => policy.Properties.PolicyDocument.Statement as Statement[],
  );
}

describe('storage', () => {
  it('is one on-demand, encrypted, point-in-time-recoverable table with TTL and the two GSIs', () => {
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: Match.objectLike({ SSEEnabled: true }),
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
        GlobalSecondaryIndexes: [
          Match.objectLike({ IndexName: 'byStage' }),
          Match.objectLike({ IndexName: 'byDay' }),
        ],
      }),
    });
  });

  it('grants no wildcard actions or resources on the table', () => {
    const tableStatements = statements().filter((s) => JSON.stringify(s.Action).includes('dynamodb:'));
    expect(tableStatements.length).toBeGreaterThan(0);
    for (const statement of tableStatements) {
      expect(JSON.stringify(statement.Action)).not.toMatch(/\*/);
      expect(JSON.stringify(statement.Resource)).not.toMatch(/\*/);
    }
  });

  it('gives the read-only function no write actions', () => {
    const readers = Object.entries(template.findResources('AWS::IAM::Policy')).filter(([id]) => id.includes('GetLead'));
    expect(readers).toHaveLength(1);
    const actions = JSON.stringify(readers[0]![1].Properties.PolicyDocument.Statement);
    expect(actions).toContain('dynamodb:GetItem');
    expect(actions).not.toMatch(/dynamodb:(Put|Update|Delete)Item/);
  });
});

describe('functions', () => {
  it('run on the newest Node.js runtime, arm64, with their own log groups', () => {
    const functions = Object.values(template.findResources('AWS::Lambda::Function'));
    expect(functions.length).toBeGreaterThanOrEqual(4);
    for (const fn of functions) {
      expect(fn.Properties.Runtime).toBe('nodejs24.x');
      expect(fn.Properties.Architectures).toEqual(['arm64']);
      expect(fn.Properties.LoggingConfig?.LogGroup).toBeDefined();
    }
  });
});

describe('HTTP API', () => {
  it('routes the capture webhook, its preflight and the admin routes', () => {
    const routeKeys = Object.values(template.findResources('AWS::ApiGatewayV2::Route')).map((r) => r.Properties.RouteKey);
    expect(routeKeys).toEqual(
      expect.arrayContaining([
        'POST /v1/forms/{formId}/submissions',
        'OPTIONS /v1/forms/{formId}/submissions',
        'GET /v1/leads/{leadId}',
        'PUT /v1/forms/{formId}',
        'GET /health',
      ]),
    );
  });

  it('logs access without bodies or query strings', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AccessLogSettings: Match.objectLike({ Format: Match.not(Match.stringLikeRegexp('requestBody|queryString')) }),
    });
  });
});
