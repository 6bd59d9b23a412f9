import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { AlreadyExistsException, CreateEmailTemplateCommand, DeleteEmailTemplateCommand, SESv2Client } from '@aws-sdk/client-sesv2';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { httpEvent, lambdaContext } from './events';

const dynamo = mockClient(DynamoDBDocumentClient);
const ses = mockClient(SESv2Client);
const KEY = { pk: 'TEMPLATES', sk: 'TEMPLATE#welcome' };
const body = {
  subject: 'Hi {{firstName}}',
  html: '<p>Hi {{firstName}}</p><a href="{{unsubscribeUrl}}">Unsubscribe</a>',
  text: 'Hi {{firstName}} - unsubscribe: {{unsubscribeUrl}}',
  fallbacks: { firstName: 'there' },
};

let handler: typeof import('../../../functions/manage-email-templates').handler;

beforeAll(async () => {
  process.env.MARKETING_TEMPLATE_PREFIX = 'leadflow';
  ({ handler } = await import('../../../functions/manage-email-templates'));
});

async function call(method: 'GET' | 'PUT' | 'DELETE', templateId: string | undefined, payload?: unknown) {
  const path = templateId === undefined ? '/v1/email-templates' : `/v1/email-templates/${templateId}`;
  const result: APIGatewayProxyStructuredResultV2 = await handler(
    httpEvent(`${method} ${templateId === undefined ? path : '/v1/email-templates/{templateId}'}`, {
      path,
      pathParameters: templateId === undefined ? undefined : { templateId },
      headers: payload === undefined ? {} : { 'content-type': 'application/json' },
      body: payload === undefined ? undefined : JSON.stringify(payload),
      caller: { name: 'marketing', scopes: ['campaigns:write'] },
    }),
    lambdaContext(),
  );
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read answers loosely and assert on them field by field
  return { status: result.statusCode, headers: result.headers ?? {}, body: JSON.parse(result.body ?? '{}') as Record<string, any> };
}

function stored(item: Record<string, unknown> | undefined) {
  dynamo.on(GetCommand, { Key: KEY }).resolves({ Item: item && { ...KEY, ...item } });
}

const puts = () => dynamo.commandCalls(PutCommand).map((c) => c.args[0].input);
const created = () => ses.commandCalls(CreateEmailTemplateCommand).map((c) => c.args[0].input);

beforeEach(() => {
  stored(undefined);
  dynamo.on(PutCommand).resolves({});
  ses.on(CreateEmailTemplateCommand).resolves({});
  ses.on(DeleteEmailTemplateCommand).resolves({});
});

afterEach(() => {
  dynamo.reset();
  ses.reset();
});

describe('PUT /v1/email-templates/{templateId}', () => {
  it('deploys version 1 to SES, then stores it, and answers 201', async () => {
    const order: string[] = [];
    ses.on(CreateEmailTemplateCommand).callsFake(() => order.push('ses'));
    dynamo.on(PutCommand).callsFake(() => order.push('table'));

    const answer = await call('PUT', 'welcome', body);

    expect(answer.status).toBe(201);
    expect(answer.body).toMatchObject({ templateId: 'welcome', version: 1, ...body });
    expect(answer.body.sesTemplateName).toMatch(/^leadflow-mkt-welcome-v1-[0-9a-f]{8}$/);
    expect(created()).toEqual([
      {
        TemplateName: answer.body.sesTemplateName,
        TemplateContent: {
          Subject: body.subject,
          Html: '<p>Hi {{firstName_html}}</p><a href="{{unsubscribeUrl_html}}">Unsubscribe</a>',
          Text: body.text,
        },
      },
    ]);
    expect(puts()).toHaveLength(1);
    expect(puts()[0]).toMatchObject({ Item: { ...KEY, version: 1 }, ConditionExpression: 'attribute_not_exists(pk)' });
    // SES first, the item after: a sender never reads a template SES does not have.
    expect(order).toEqual(['ses', 'table']);
  });

  it('a change is a new version with its own SES template, written on the version read, answered 200', async () => {
    stored({
      templateId: 'welcome',
      version: 3,
      sesTemplateName: 'leadflow-mkt-welcome-v3-aaaaaaaa',
      ...body,
      updatedAt: '2026-03-01T00:00:00.000Z',
    });

    const answer = await call('PUT', 'welcome', { ...body, subject: 'New subject {{firstName}}' });

    expect(answer.status).toBe(200);
    expect(answer.body.version).toBe(4);
    expect(created()[0]!.TemplateName).toMatch(/^leadflow-mkt-welcome-v4-/);
    expect(puts()[0]).toMatchObject({ ConditionExpression: 'version = :expected', ExpressionAttributeValues: { ':expected': 3 } });
    // The old version's SES template stays for the emails in flight.
    expect(ses.commandCalls(DeleteEmailTemplateCommand)).toHaveLength(0);
    expect(puts()[0]!.Item).toMatchObject({ previousSesTemplateName: 'leadflow-mkt-welcome-v3-aaaaaaaa' });
    expect(answer.body).not.toHaveProperty('previousSesTemplateName');
  });

  /** Version 4 stored, with version 3 still kept in SES. */
  const version4 = {
    templateId: 'welcome',
    version: 4,
    sesTemplateName: 'leadflow-mkt-welcome-v4-bbbbbbbb',
    previousSesTemplateName: 'leadflow-mkt-welcome-v3-aaaaaaaa',
    ...body,
    updatedAt: '2026-03-01T00:00:00.000Z',
  };

  it('keeps two versions in SES: storing version 5 deletes version 3, after the item is written', async () => {
    stored(version4);
    const order: string[] = [];
    dynamo.on(PutCommand).callsFake(() => order.push('table'));
    ses.on(DeleteEmailTemplateCommand).callsFake(({ TemplateName }: { TemplateName: string }) => order.push(`delete ${TemplateName}`));

    const answer = await call('PUT', 'welcome', { ...body, subject: 'Fifth {{firstName}}' });

    expect(answer.status).toBe(200);
    expect(answer.body).not.toHaveProperty('previousSesTemplateName');
    expect(puts()[0]!.Item).toMatchObject({ version: 5, previousSesTemplateName: 'leadflow-mkt-welcome-v4-bbbbbbbb' });
    expect(order).toEqual(['table', 'delete leadflow-mkt-welcome-v3-aaaaaaaa']);
  });

  it('a failed delete of an old version is logged, and the change still answers 200', async () => {
    stored(version4);
    ses.on(DeleteEmailTemplateCommand).rejects(Object.assign(new Error('slow down'), { name: 'TooManyRequestsException' }));
    expect((await call('PUT', 'welcome', { ...body, subject: 'Fifth {{firstName}}' })).status).toBe(200);
  });

  it('the same template again is no new version and touches nothing', async () => {
    const current = {
      templateId: 'welcome',
      version: 2,
      sesTemplateName: 'leadflow-mkt-welcome-v2-aaaaaaaa',
      ...body,
      updatedAt: '2026-03-01T00:00:00.000Z',
    };
    stored(current);

    const answer = await call('PUT', 'welcome', { ...body });

    expect(answer).toMatchObject({ status: 200, body: current });
    expect(created()).toHaveLength(0);
    expect(puts()).toHaveLength(0);
  });

  it('a retry after SES took the template but the item was not written finds its SES template and stores it', async () => {
    ses.on(CreateEmailTemplateCommand).rejects(new AlreadyExistsException({ message: 'exists', $metadata: {} }));

    const answer = await call('PUT', 'welcome', body);

    expect(answer.status).toBe(201);
    expect(puts()).toHaveLength(1);
  });

  it('SES unavailable: 503 with Retry-After, nothing stored', async () => {
    ses.on(CreateEmailTemplateCommand).rejects(Object.assign(new Error('connect ECONNREFUSED'), { name: 'Error', code: 'ECONNREFUSED' }));

    const answer = await call('PUT', 'welcome', body);

    expect(answer.status).toBe(503);
    expect(answer.headers['retry-after']).toBeDefined();
    expect(answer.body.error.code).toBe('temporarily_unavailable');
    expect(puts()).toHaveLength(0);
  });

  it('a concurrent edit that stored this version first: 409, and our orphan SES template is removed', async () => {
    const winner = {
      templateId: 'welcome',
      version: 1,
      sesTemplateName: 'leadflow-mkt-welcome-v1-bbbbbbbb',
      ...body,
      subject: 'Theirs',
      updatedAt: '2026-03-01T00:00:00.000Z',
    };
    dynamo
      .on(GetCommand, { Key: KEY })
      .resolvesOnce({ Item: undefined })
      .resolves({ Item: { ...KEY, ...winner } });
    dynamo.on(PutCommand).rejects(new ConditionalCheckFailedException({ message: 'failed', $metadata: {} }));

    const answer = await call('PUT', 'welcome', body);

    expect(answer.status).toBe(409);
    expect(answer.body.error.code).toBe('template_changed');
    expect(ses.commandCalls(DeleteEmailTemplateCommand).map((c) => c.args[0].input.TemplateName)).toEqual([created()[0]!.TemplateName]);
  });

  it('a concurrent identical PUT that came first: answered as the same template', async () => {
    dynamo.on(GetCommand, { Key: KEY }).resolvesOnce({ Item: undefined });
    dynamo.on(PutCommand).callsFake(() => {
      // The twin stored the same content meanwhile.
      dynamo.on(GetCommand, { Key: KEY }).resolves({
        Item: {
          ...KEY,
          templateId: 'welcome',
          version: 1,
          sesTemplateName: created()[0]!.TemplateName,
          ...body,
          updatedAt: '2026-03-01T00:00:00.000Z',
        },
      });
      throw new ConditionalCheckFailedException({ message: 'failed', $metadata: {} });
    });

    const answer = await call('PUT', 'welcome', body);

    expect(answer.status).toBe(200);
    expect(ses.commandCalls(DeleteEmailTemplateCommand)).toHaveLength(0);
  });

  it('a bad template is a 400 naming the fields, and SES is not called', async () => {
    const answer = await call('PUT', 'welcome', { ...body, text: 'no link', html: '{{#if firstName}}' });

    expect(answer.status).toBe(400);
    expect(answer.body.error.details.map((detail: { path: string }) => detail.path)).toEqual(['html', 'html', 'text']);
    expect(created()).toHaveLength(0);
    expect(puts()).toHaveLength(0);
  });

  it('a bad template id is a 400', async () => {
    const answer = await call('PUT', 'Welcome!', body);
    expect(answer.status).toBe(400);
    expect(answer.body.error.details[0].path).toBe('templateId');
  });

  it('after a delete, the template comes back at the next version (201)', async () => {
    stored({
      templateId: 'welcome',
      version: 5,
      sesTemplateName: 'leadflow-mkt-welcome-v5-aaaaaaaa',
      ...body,
      deleted: true,
      updatedAt: '2026-03-01T00:00:00.000Z',
    });

    const answer = await call('PUT', 'welcome', body);

    expect(answer).toMatchObject({ status: 201, body: { version: 6 } });
    expect(puts()[0]).toMatchObject({ ExpressionAttributeValues: { ':expected': 5 } });
  });
});

describe('GET and DELETE', () => {
  const current = {
    templateId: 'welcome',
    version: 2,
    sesTemplateName: 'leadflow-mkt-welcome-v2-aaaaaaaa',
    ...body,
    updatedAt: '2026-03-01T00:00:00.000Z',
  };

  it('lists the templates that are not deleted, without their bookkeeping', async () => {
    dynamo.on(QueryCommand).resolves({
      Items: [
        { ...KEY, ...current, previousSesTemplateName: 'leadflow-mkt-welcome-v1-00000000' },
        { pk: 'TEMPLATES', sk: 'TEMPLATE#old', ...current, templateId: 'old', deleted: true },
      ],
    });
    const answer = await call('GET', undefined);
    expect(answer).toEqual({ status: 200, headers: expect.anything(), body: { templates: [current] } });
  });

  it('reads one, 404 when there is none', async () => {
    stored(current);
    expect(await call('GET', 'welcome')).toMatchObject({ status: 200, body: current });
    stored(undefined);
    expect((await call('GET', 'welcome')).status).toBe(404);
  });

  it('deletes: a tombstone at the same version, then the SES templates of both kept versions', async () => {
    stored({ ...current, previousSesTemplateName: 'leadflow-mkt-welcome-v1-00000000' });
    const answer = await call('DELETE', 'welcome');
    expect(answer).toMatchObject({ status: 200, body: { templateId: 'welcome', version: 2, deleted: true } });
    expect(puts()[0]).toMatchObject({ Item: { deleted: true, version: 2 }, ExpressionAttributeValues: { ':expected': 2 } });
    expect(ses.commandCalls(DeleteEmailTemplateCommand).map((c) => c.args[0].input.TemplateName)).toEqual([
      current.sesTemplateName,
      'leadflow-mkt-welcome-v1-00000000',
    ]);
    stored({ ...current, deleted: true });
    expect((await call('DELETE', 'welcome')).status).toBe(404);
  });
});
