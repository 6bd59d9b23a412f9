import type { CfnResource, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { emailClaimAttributes } from '../../core/email-claim';
import { LeadflowFunction, projectRoot } from '../../infra/constructs/api-function';
import { sentActions } from './sent-commands';
import { synthesize } from './synthesize';

/**
 * What each function's role may do, read from the synthesized template. The tables below are the
 * grants as reviewed: a grant that changes shows up here as a diff. (The local cloud does not
 * evaluate IAM, so these assertions are the proof that the roles are this narrow.)
 */

/** Every function writes its log group and, traced, its X-Ray segments. */
const logs = ['logs:CreateLogStream', 'logs:PutLogEvents', 'xray:PutTelemetryRecords', 'xray:PutTraceSegments'];
const streamRead = ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator', 'dynamodb:ListStreams'];

/** Every action of every function's role (its log group's two actions included). */
const expectedActions: Record<string, string[]> = {
  'Http/AuthorizeRequest': ['dynamodb:GetItem'],
  'Capture/CaptureLead': ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'secretsmanager:GetSecretValue'],
  'Leads/GetLead': ['dynamodb:GetItem'],
  'Leads/FindLeads': ['dynamodb:GetItem', 'dynamodb:Query', 'secretsmanager:GetSecretValue'],
  'Leads/GetLeadHistory': ['dynamodb:GetItem', 'dynamodb:Query'],
  'Admin/ManageForms': ['dynamodb:GetItem', 'dynamodb:PutItem', 'secretsmanager:GetSecretValue'],
  'Admin/ManageApiKeys': ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'],
  'Admin/Health': ['dynamodb:GetItem', 'ses:GetAccount'],
  'EmailTemplates/ManageEmailTemplates': [
    'dynamodb:GetItem',
    'dynamodb:PutItem',
    'dynamodb:Query',
    'ses:CreateEmailTemplate',
    'ses:DeleteEmailTemplate',
  ],
  'ApiDocs/GetOpenApi': [],
  'Scoring/RecordEngagement': ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
  'Scoring/ManageScoringRules': ['dynamodb:GetItem', 'dynamodb:PutItem'],
  'Scoring/RescorePage': ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'],
  'Scoring/RescoreJobs': ['dynamodb:GetItem', 'dynamodb:PutItem', 'states:StartExecution'],
  'Lifecycle/RouteLead': ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
  'Lifecycle/AwaitRepMove': ['dynamodb:GetItem', 'dynamodb:PutItem', 'states:SendTaskSuccess'],
  'Lifecycle/SendFollowUp': [
    'dynamodb:GetItem',
    'dynamodb:PutItem',
    'dynamodb:UpdateItem',
    'secretsmanager:GetSecretValue',
    'ses:SendEmail',
  ],
  'Lifecycle/SendRetentionEmail': [
    'dynamodb:GetItem',
    'dynamodb:PutItem',
    'dynamodb:UpdateItem',
    'secretsmanager:GetSecretValue',
    'ses:SendEmail',
  ],
  'Lifecycle/RenurtureLead': ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
  'Lifecycle/RecordFailure': ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
  'Lifecycle/ContinueLifecycle': ['dynamodb:PutItem', 'states:StartExecution'],
  'Lifecycle/RetryLeadWorkflow': [
    'dynamodb:GetItem',
    'dynamodb:PutItem',
    'dynamodb:UpdateItem',
    'states:DescribeExecution',
    'states:SendTaskSuccess',
    'states:StartExecution',
  ],
  'Lifecycle/ProcessLeadChanges': [
    'dynamodb:GetItem',
    ...streamRead,
    'dynamodb:PutItem',
    'dynamodb:UpdateItem',
    'secretsmanager:GetSecretValue',
    'sqs:GetQueueAttributes',
    'sqs:GetQueueUrl',
    'sqs:SendMessage',
    'states:DescribeExecution',
    'states:StartExecution',
  ],
  'Lifecycle/MoveLeadStage': ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
  'Lifecycle/ManageLifecycleConfig': ['dynamodb:GetItem', 'dynamodb:PutItem'],
  'Lifecycle/ChangeLeadOwner': ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
  'Lifecycle/FollowLeadChanges': [
    'dynamodb:GetItem',
    ...streamRead,
    'dynamodb:PutItem',
    'dynamodb:UpdateItem',
    'secretsmanager:GetSecretValue',
    'ses:SendEmail',
    'sqs:GetQueueAttributes',
    'sqs:GetQueueUrl',
    'sqs:SendMessage',
    'states:SendTaskSuccess',
  ],
  'Privacy/ExportLead': ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'secretsmanager:GetSecretValue'],
  'Privacy/EraseLead': [
    'dynamodb:DeleteItem',
    'dynamodb:GetItem',
    'dynamodb:PutItem',
    'dynamodb:Query',
    'secretsmanager:GetSecretValue',
    'states:DescribeExecution',
    'states:StopExecution',
  ],
  'Consent/ConsentLinks': ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'secretsmanager:GetSecretValue'],
  'Consent/FollowConsentChanges': [
    'dynamodb:ConditionCheckItem',
    'dynamodb:DeleteItem',
    'dynamodb:GetItem',
    ...streamRead,
    'dynamodb:PutItem',
    'dynamodb:UpdateItem',
    'secretsmanager:GetSecretValue',
    'ses:SendEmail',
    'sqs:GetQueueAttributes',
    'sqs:GetQueueUrl',
    'sqs:SendMessage',
  ],
  'Metrics/AggregateMetrics': ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'],
  'Metrics/AggregationJobs': ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'states:StartExecution'],
  'Metrics/GetMetrics': ['dynamodb:Query'],
  'EmailEvents/ApplyEmailEvents': [
    'dynamodb:ConditionCheckItem',
    'dynamodb:GetItem',
    'dynamodb:PutItem',
    'dynamodb:Query',
    'dynamodb:UpdateItem',
    'secretsmanager:GetSecretValue',
    'sqs:GetQueueAttributes',
    'sqs:GetQueueUrl',
    'sqs:SendMessage',
  ],
  'Campaigns/SendCampaignStep': [
    'dynamodb:GetItem',
    'dynamodb:PutItem',
    'dynamodb:Query',
    'dynamodb:UpdateItem',
    'secretsmanager:GetSecretValue',
    'ses:SendEmail',
  ],
  'Campaigns/LaunchCampaignPage': ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:UpdateItem', 'states:StartExecution'],
  'Campaigns/ManageCampaigns': [
    'dynamodb:GetItem',
    'dynamodb:PutItem',
    'dynamodb:Query',
    'dynamodb:UpdateItem',
    'secretsmanager:GetSecretValue',
    'ses:SendEmail',
    'states:StartExecution',
  ],
  'Campaigns/EnrollTriggeredLeads': [
    ...streamRead,
    'dynamodb:Query',
    'dynamodb:UpdateItem',
    'sqs:GetQueueAttributes',
    'sqs:GetQueueUrl',
    'sqs:SendMessage',
    'states:StartExecution',
  ],
};

/**
 * The partitions (dynamodb:LeadingKeys patterns) each item action may touch, per function; an
 * index query is `Query@<index>`. Functions that do not touch the table are absent.
 */
const expectedPartitions: Record<string, Record<string, string[]>> = {
  'Http/AuthorizeRequest': { GetItem: ['APIKEY#*'] },
  'Capture/CaptureLead': {
    GetItem: ['APIKEY#*', 'FORM#*', 'IDEMPOTENCY#*', 'LEAD#*', 'RULES', 'SUBMISSION#*'],
    PutItem: ['IDEMPOTENCY#*', 'LEAD#*', 'SUBMISSION#*'],
    UpdateItem: ['FORM#*', 'RATE#*'],
  },
  'Leads/GetLead': { GetItem: ['LEAD#*'] },
  'Admin/Health': { GetItem: ['HEALTH'] },
  'Leads/FindLeads': { GetItem: ['LEAD#*'], 'Query@byStage': ['STAGE#*'], 'Query@byOwner': ['OWNER#*'] },
  'Leads/GetLeadHistory': { GetItem: ['LEAD#*'], Query: ['LEAD#*'] },
  'Admin/ManageForms': { GetItem: ['FORM#*'], PutItem: ['FORM#*'] },
  'EmailTemplates/ManageEmailTemplates': { GetItem: ['TEMPLATES'], Query: ['TEMPLATES'], PutItem: ['TEMPLATES'] },
  'Admin/ManageApiKeys': {
    GetItem: ['APIKEY#*', 'APIKEYS'],
    PutItem: ['APIKEY#*', 'APIKEYS'],
    UpdateItem: ['APIKEY#*', 'APIKEYS'],
    Query: ['APIKEYS'],
  },
  'Scoring/RecordEngagement': {
    GetItem: ['CONFIG#*', 'COUNTER#owners', 'IDEMPOTENCY#*', 'LEAD#*', 'RULES'],
    PutItem: ['IDEMPOTENCY#*', 'LEAD#*'],
    UpdateItem: ['COUNTER#owners'],
  },
  'Scoring/ManageScoringRules': { GetItem: ['RULES'], PutItem: ['RULES'] },
  'Scoring/RescorePage': {
    'Query@byStage': ['STAGE#*'],
    GetItem: ['CONFIG#*', 'COUNTER#owners', 'LEAD#*', 'RULES'],
    PutItem: ['LEAD#*'],
    UpdateItem: ['COUNTER#owners', 'JOB#*'],
  },
  'Scoring/RescoreJobs': { GetItem: ['JOB#*', 'RULES'], PutItem: ['JOB#*'] },
  // The functions that call loadLifecycleConfig() read the edited configuration's item (CONFIG#*); test/infra/lifecycle-config.test.ts
  // checks that these are exactly the functions with the deployed configuration in their code.
  'Lifecycle/RouteLead': {
    GetItem: ['CONFIG#*', 'COUNTER#owners', 'LEAD#*', 'RULES'],
    PutItem: ['LEAD#*'],
    UpdateItem: ['COUNTER#owners'],
  },
  'Lifecycle/AwaitRepMove': { GetItem: ['CONFIG#*', 'LEAD#*'], PutItem: ['LEAD#*'] },
  'Lifecycle/SendFollowUp': {
    GetItem: ['CONFIG#*', 'COUNTER#owners', 'LEAD#*', 'SUPPRESSED#*'],
    PutItem: ['LEAD#*'],
    UpdateItem: ['COUNTER#owners', 'LEAD#*'],
  },
  'Lifecycle/SendRetentionEmail': { GetItem: ['CONFIG#*', 'LEAD#*', 'SUPPRESSED#*'], PutItem: ['LEAD#*'], UpdateItem: ['LEAD#*'] },
  'Lifecycle/RenurtureLead': { GetItem: ['CONFIG#*', 'COUNTER#owners', 'LEAD#*'], PutItem: ['LEAD#*'], UpdateItem: ['COUNTER#owners'] },
  'Lifecycle/RecordFailure': { GetItem: ['CONFIG#*', 'COUNTER#owners', 'LEAD#*'], PutItem: ['LEAD#*'], UpdateItem: ['COUNTER#owners'] },
  'Lifecycle/ContinueLifecycle': { PutItem: ['LEAD#*'] },
  'Lifecycle/RetryLeadWorkflow': { GetItem: ['CONFIG#*', 'COUNTER#owners', 'LEAD#*'], PutItem: ['LEAD#*'], UpdateItem: ['COUNTER#owners'] },
  'Lifecycle/ProcessLeadChanges': { GetItem: ['LEAD#*', 'RULES'], PutItem: ['LEAD#*'], UpdateItem: ['SUBMISSION#*'] },
  'Lifecycle/MoveLeadStage': {
    GetItem: ['CONFIG#*', 'COUNTER#owners', 'IDEMPOTENCY#*', 'LEAD#*'],
    PutItem: ['IDEMPOTENCY#*', 'LEAD#*'],
    UpdateItem: ['COUNTER#owners'],
  },
  'Lifecycle/ManageLifecycleConfig': { GetItem: ['CONFIG#*'], PutItem: ['CONFIG#*'] },
  'Lifecycle/ChangeLeadOwner': {
    GetItem: ['CONFIG#*', 'COUNTER#owners', 'IDEMPOTENCY#*', 'LEAD#*'],
    PutItem: ['IDEMPOTENCY#*', 'LEAD#*'],
    UpdateItem: ['COUNTER#owners'],
  },
  'Lifecycle/FollowLeadChanges': {
    GetItem: ['CONFIG#*', 'COUNTER#owners', 'LEAD#*', 'RULES', 'SUPPRESSED#*'],
    PutItem: ['LEAD#*'],
    UpdateItem: ['COUNTER#owners', 'LEAD#*'],
  },
  'Privacy/ExportLead': { GetItem: ['LEAD#*', 'SUPPRESSED#*'], Query: ['LEAD#*'], PutItem: ['AUDIT#*'] },
  'Privacy/EraseLead': {
    GetItem: ['LEAD#*', 'METRICS'],
    Query: ['LEAD#*'],
    PutItem: ['AUDIT#*', 'LEAD#*', 'SUPPRESSED#*'],
    DeleteItem: ['IDEMPOTENCY#*', 'LEAD#*'],
  },
  // The unsubscribe: the lead and its entry, a campaign's counter, the suppression entry.
  'Consent/ConsentLinks': { GetItem: ['LEAD#*'], PutItem: ['LEAD#*', 'SUPPRESSED#*'], UpdateItem: ['CAMPAIGN#*'] },
  // The opt-in confirmation (claim and entry); lifting an unsubscribe (deleted only on a condition checked on the lead).
  'Consent/FollowConsentChanges': {
    GetItem: ['LEAD#*', 'SUPPRESSED#*'],
    PutItem: ['LEAD#*'],
    ConditionCheckItem: ['LEAD#*'],
    UpdateItem: ['LEAD#*'],
    DeleteItem: ['SUPPRESSED#*'],
  },
  'Metrics/AggregateMetrics': {
    'Query@byDay': ['DAY#*'],
    GetItem: ['METRICS'],
    UpdateItem: ['JOB#*', 'METRICS#DAY#*'],
    PutItem: ['METRICS'],
  },
  'Metrics/AggregationJobs': { GetItem: ['JOB#*'], PutItem: ['JOB#*'], UpdateItem: ['JOB#*'] },
  'Metrics/GetMetrics': { Query: ['METRICS#DAY#*'] },
  'EmailEvents/ApplyEmailEvents': {
    GetItem: ['LEAD#*', 'RULES'],
    PutItem: ['LEAD#*', 'SUPPRESSED#*'],
    ConditionCheckItem: ['LEAD#*'],
    UpdateItem: ['CAMPAIGN#*', 'CAMPAIGNS', 'DELIVERABILITY#*'],
    Query: ['CAMPAIGNS', 'DELIVERABILITY#*'],
  },
  'Campaigns/SendCampaignStep': {
    GetItem: ['CAMPAIGNS', 'LEAD#*', 'SUPPRESSED#*', 'TEMPLATES'],
    Query: ['LEAD#*'],
    PutItem: ['LEAD#*'],
    UpdateItem: ['CAMPAIGN#*', 'LEAD#*', 'SENDRATE#*'],
  },
  'Campaigns/LaunchCampaignPage': { 'Query@byStage': ['STAGE#*'], GetItem: ['CAMPAIGNS'], UpdateItem: ['CAMPAIGN#*'] },
  'Campaigns/ManageCampaigns': {
    'Query@byStage': ['STAGE#*'],
    GetItem: ['CAMPAIGN#*', 'CAMPAIGNS', 'LEAD#*', 'SUPPRESSED#*', 'TEMPLATES'],
    PutItem: ['CAMPAIGNS'],
    UpdateItem: ['CAMPAIGNS'],
    Query: ['CAMPAIGNS'],
  },
  'Campaigns/EnrollTriggeredLeads': { Query: ['CAMPAIGNS'], UpdateItem: ['CAMPAIGN#*'] },
};

/** The only roles that may hold these actions at all (erasing a person; lifting an unsubscribe after new consent). */
const riskyActions: Record<string, string[]> = {
  'dynamodb:DeleteItem': ['Consent/FollowConsentChanges', 'Privacy/EraseLead'],
  'dynamodb:BatchWriteItem': [],
  'dynamodb:BatchGetItem': [],
  'dynamodb:Scan': [],
  'dynamodb:PartiQLDelete': [],
};

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

let stack: Stack;
let template: Template;
/** Function path under the stack (`Capture/CaptureLead`) -> the statements of every policy on its role. */
const byFunction = new Map<string, Statement[]>();
/** Function path under the stack -> its file in functions/. */
const entryOf = new Map<string, string>();
/** Role logical id -> statements, for every role in the stack (state machines' included). */
const byRole = new Map<string, Statement[]>();

beforeAll(() => {
  stack = synthesize().stack;
  template = Template.fromStack(stack);

  for (const [id] of Object.entries(template.findResources('AWS::IAM::Role'))) byRole.set(id, []);
  for (const policy of Object.values(template.findResources('AWS::IAM::Policy'))) {
    const statements = policy.Properties.PolicyDocument.Statement as Statement[];
    for (const role of policy.Properties.Roles as Array<{ Ref: string }>) byRole.get(role.Ref)?.push(...statements);
  }
  for (const construct of stack.node.findAll()) {
    if (!(construct instanceof LeadflowFunction)) continue;
    const role = construct.fn.role?.node.defaultChild as CfnResource;
    const roleId = stack.resolve(role.logicalId) as string;
    const fnPath = construct.node.path.slice(stack.node.path.length + 1);
    byFunction.set(fnPath, byRole.get(roleId) ?? []);
    entryOf.set(fnPath, construct.entry);
  }
});

const actionsOf = (statement: Statement) => [statement.Action].flat();

function sortedActions(statements: Statement[]): string[] {
  return [...new Set(statements.flatMap(actionsOf))].sort();
}

/** `table` or `index/<name>` for a statement on the table's ARN or one of its indexes. */
function tableResourceOf(statement: Statement): string | undefined {
  const table = template.findResources('AWS::DynamoDB::Table');
  const [tableId] = Object.keys(table);
  const resource = JSON.stringify(statement.Resource);
  if (resource === JSON.stringify({ 'Fn::GetAtt': [tableId, 'Arn'] })) return 'table';
  const index = /^\{"Fn::Join":\["",\[\{"Fn::GetAtt":\["(\w+)","Arn"\]\},"\/index\/(\w+)"\]\]\}$/.exec(resource);
  return index && index[1] === tableId ? `index/${index[2]}` : undefined;
}

/** Item statements: every DynamoDB statement but the stream reads. */
function itemStatements(statements: Statement[]): Statement[] {
  return statements.filter((statement) =>
    actionsOf(statement).some((action) => action.startsWith('dynamodb:') && !streamRead.includes(action)),
  );
}

describe('function roles', () => {
  it('every function is in the table of expected grants', () => {
    expect([...byFunction.keys()].sort()).toEqual(Object.keys(expectedActions).sort());
  });

  it.each(Object.entries(expectedActions))('%s holds exactly its actions', (fn, actions) => {
    expect(sortedActions(byFunction.get(fn) ?? [])).toEqual([...logs, ...actions].sort());
  });

  it.each(Object.keys(expectedActions))('%s touches only its partitions, each item action on the table, each query on its index', (fn) => {
    const partitions: Record<string, string[]> = {};
    for (const statement of itemStatements(byFunction.get(fn) ?? [])) {
      const resource = tableResourceOf(statement);
      expect(resource, `${fn}: ${JSON.stringify(statement.Resource)}`).toBeDefined();
      const leadingKeys = statement.Condition?.['ForAllValues:StringLike']?.['dynamodb:LeadingKeys'] as string[] | undefined;
      expect(leadingKeys, `${fn} ${JSON.stringify(statement.Action)} has no LeadingKeys condition`).toBeDefined();
      // ForAllValues alone would let a request without leading keys (a Scan) through.
      expect(statement.Condition?.Null).toEqual({ 'dynamodb:LeadingKeys': 'false' });
      for (const action of actionsOf(statement)) {
        const name = action.replace('dynamodb:', '') + (resource === 'table' ? '' : `@${resource!.replace('index/', '')}`);
        if (resource !== 'table') expect(action).toBe('dynamodb:Query');
        partitions[name] = [...new Set([...(partitions[name] ?? []), ...leadingKeys!])].sort();
      }
    }
    const expected = Object.fromEntries(Object.entries(expectedPartitions[fn] ?? {}).map(([action, keys]) => [action, [...keys].sort()]));
    expect(partitions).toEqual(expected);
  });
});

describe('every role in the stack', () => {
  it('holds no wildcard action, no service-wide action and no managed policy', () => {
    for (const [role, statements] of byRole) {
      for (const action of statements.flatMap(actionsOf)) {
        expect(action, role).not.toContain('*');
      }
    }
    for (const [id, role] of Object.entries(template.findResources('AWS::IAM::Role'))) {
      expect(role.Properties.ManagedPolicyArns, id).toBeUndefined();
      expect(role.Properties.Policies, id).toBeUndefined();
    }
  });

  it('holds no Delete, batch or Scan action unless listed', () => {
    const holders = new Map(Object.keys(riskyActions).map((action) => [action, [] as string[]]));
    for (const [fn, statements] of byFunction) {
      for (const action of statements.flatMap(actionsOf)) holders.get(action)?.push(fn);
    }
    const functionRoles = new Set([...byFunction.values()]);
    for (const [role, statements] of byRole) {
      if (functionRoles.has(statements)) continue;
      for (const action of statements.flatMap(actionsOf)) holders.get(action)?.push(role);
    }
    expect(Object.fromEntries([...holders].map(([action, fns]) => [action, [...new Set(fns)].sort()]))).toEqual(riskyActions);
  });

  it('puts every DynamoDB item action under a LeadingKeys condition, whatever construct granted it', () => {
    for (const [role, statements] of byRole) {
      for (const statement of itemStatements(statements)) {
        expect(
          statement.Condition?.['ForAllValues:StringLike']?.['dynamodb:LeadingKeys'],
          `${role} ${JSON.stringify(statement.Action)}`,
        ).toBeDefined();
      }
    }
  });
});

describe('public capture', () => {
  const capture = () => byFunction.get('Capture/CaptureLead') ?? [];

  it('cannot delete, batch-write or scan anything', () => {
    const actions = sortedActions(capture());
    for (const action of ['dynamodb:DeleteItem', 'dynamodb:BatchWriteItem', 'dynamodb:BatchGetItem', 'dynamodb:Scan']) {
      expect(actions).not.toContain(action);
    }
  });

  it('writes no form: it puts only submissions, leads and idempotency records, and updates only the spam counter and rate windows', () => {
    const updates = capture().filter((statement) => actionsOf(statement).includes('dynamodb:UpdateItem'));
    expect(updates).toHaveLength(2);
    expect(updates[1]!.Condition).toMatchObject({
      'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['RATE#*'] },
      'ForAllValues:StringEquals': { 'dynamodb:Attributes': ['pk', 'sk', 'count', 'expiresAt'] },
    });
    expect(updates[0]!.Condition).toMatchObject({
      'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['FORM#*'] },
      'ForAllValues:StringEquals': { 'dynamodb:Attributes': ['pk', 'sk', 'spamDropped'] },
    });
    const puts = capture().filter((statement) => actionsOf(statement).includes('dynamodb:PutItem'));
    expect(puts).toHaveLength(1);
    expect(puts[0]!.Condition?.['ForAllValues:StringLike']).toEqual({
      'dynamodb:LeadingKeys': ['LEAD#*', 'IDEMPOTENCY#*', 'SUBMISSION#*'],
    });
  });
});

describe('other grants', () => {
  const machine = (id: string) => {
    const [machineId] = Object.keys(template.findResources('AWS::StepFunctions::StateMachine')).filter((logicalId) =>
      logicalId.startsWith(id),
    );
    expect(machineId, id).toBeDefined();
    return { Ref: machineId };
  };
  const resourcesOf = (fn: string, action: string) =>
    (byFunction.get(fn) ?? [])
      .filter((statement) => actionsOf(statement).includes(action))
      .flatMap((statement) => [statement.Resource].flat());

  it('starts executions only of the machine each function starts', () => {
    expect(resourcesOf('Lifecycle/ProcessLeadChanges', 'states:StartExecution')).toEqual([machine('LifecycleLeadLifecycle')]);
    expect(resourcesOf('Scoring/RescoreJobs', 'states:StartExecution')).toEqual([machine('ScoringRescore')]);
    // Successors (continue-as-new) and an operator's restart of an ended execution.
    for (const fn of ['Lifecycle/ContinueLifecycle', 'Lifecycle/RetryLeadWorkflow']) {
      expect(resourcesOf(fn, 'states:StartExecution')).toEqual([machine('LifecycleLeadLifecycle')]);
    }
  });

  it('resumes tasks only of the lead lifecycle, and never fails or heartbeats one', () => {
    for (const fn of ['Lifecycle/FollowLeadChanges', 'Lifecycle/AwaitRepMove', 'Lifecycle/RetryLeadWorkflow']) {
      expect(resourcesOf(fn, 'states:SendTaskSuccess')).toEqual([machine('LifecycleLeadLifecycle')]);
    }
  });

  it("updates only an email claim's own attributes in a lead's partition (never the lead item's other fields)", () => {
    for (const fn of ['Lifecycle/SendFollowUp', 'Lifecycle/SendRetentionEmail', 'Lifecycle/FollowLeadChanges']) {
      // (The owner counter's own UpdateItem, on COUNTER#owners, is checked with the counter.)
      const updates = (byFunction.get(fn) ?? []).filter(
        (statement) => actionsOf(statement).includes('dynamodb:UpdateItem') && JSON.stringify(statement.Condition).includes('LEAD#*'),
      );
      expect(updates).toHaveLength(1);
      expect(actionsOf(updates[0]!)).toEqual(['dynamodb:UpdateItem']);
      expect(updates[0]!.Condition).toMatchObject({
        'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['LEAD#*'] },
        'ForAllValues:StringEquals': { 'dynamodb:Attributes': ['pk', 'sk', ...emailClaimAttributes] },
      });
    }
  });

  it('sends email only as the sender, through the configuration set, with the templates', () => {
    for (const fn of ['Lifecycle/SendFollowUp', 'Lifecycle/SendRetentionEmail', 'Lifecycle/FollowLeadChanges']) {
      const resources = JSON.stringify(resourcesOf(fn, 'ses:SendEmail'));
      expect(resources).not.toMatch(/"\*"|\/\*"/);
      expect(resources).toContain('identity/leadflow@example.com');
      expect(resources).toContain('configuration-set/');
      expect(resources).toContain('template/');
    }
  });

  it("creates and deletes only this stack's marketing SES templates", () => {
    for (const action of ['ses:CreateEmailTemplate', 'ses:DeleteEmailTemplate']) {
      const resources = resourcesOf('EmailTemplates/ManageEmailTemplates', action);
      expect(resources).toHaveLength(1);
      expect(JSON.stringify(resources[0])).toMatch(/:template\/leadflow-mkt-\*"\]\]\}$/);
    }
  });

  it('reads only the table stream, and sends failed records only to its own queue', () => {
    const streamResources = resourcesOf('Lifecycle/ProcessLeadChanges', 'dynamodb:GetRecords');
    expect(JSON.stringify(streamResources)).toContain('StreamArn');
    const [queueId] = Object.keys(template.findResources('AWS::SQS::Queue')).filter((id) => id.startsWith('LifecycleFailedStarts'));
    expect(resourcesOf('Lifecycle/ProcessLeadChanges', 'sqs:SendMessage')).toEqual([{ 'Fn::GetAtt': [queueId, 'Arn'] }]);
  });
});

describe('the functions code', () => {
  it('sends exactly the actions its role grants: nothing ungranted, and no grant it never uses', () => {
    const sent = sentActions(projectRoot, [...new Set(entryOf.values())]);
    // Granted to the role for the platform's own use, not sent by the code: logs, X-Ray segments (Lambda's active tracing),
    // and the stream event source's reads and failure queue.
    const byPlatform = (action: string) =>
      action.startsWith('logs:') || action.startsWith('xray:') || action.startsWith('sqs:') || streamRead.includes(action);
    const granted = Object.fromEntries(
      [...byFunction].map(([fn, statements]) => [fn, sortedActions(statements).filter((action) => !byPlatform(action))]),
    );
    const used = Object.fromEntries([...entryOf].map(([fn, entry]) => [fn, sent.get(entry)]));
    expect(used).toEqual(granted);
  }, 120_000);
});
