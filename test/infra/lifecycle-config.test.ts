import type { CfnResource, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { lifecycleConfigSchema } from '../../core/lifecycle';
import { LeadflowFunction } from '../../infra/constructs/api-function';
import { lifecycleConfigDefine } from '../../infra/constructs/lifecycle-config';
import { largeLifecycleConfig, playbookKeys } from '../fixtures/lifecycle-team';
import { synthesize } from './synthesize';

/**
 * The lifecycle configuration stays out of the functions' environment (Lambda takes 4 KB of
 * variables in all): a team of 10 owners with playbooks of 5 lines for every stage and objection
 * type synthesizes, rides in the code of exactly the functions that read it, and in no environment.
 */

const LAMBDA_ENVIRONMENT_LIMIT_BYTES = 4 * 1024;
const team = largeLifecycleConfig('synth');
const deployed = lifecycleConfigSchema.parse(team);
const bundledValue = JSON.parse(lifecycleConfigDefine(deployed).LEADFLOW_DEPLOYED_LIFECYCLE_CONFIG!) as string;

interface WithBundles {
  template: Template;
  /** Function path under the stack (`Lifecycle/RouteLead`) -> its bundled code and its asset key. */
  functions: Map<string, { code: string; assetKey: string; readsConfigItem: boolean }>;
}

/** These tests read the bundled code: the app is synthesized with its functions bundled. */
function synthesizeWithBundles(context: Record<string, unknown>): WithBundles {
  // synth runs cdk-nag and the schema check of the context: either throws.
  const { stack, outdir } = synthesize(context, { bundle: true });
  const template = Template.fromStack(stack);
  const functions = new Map<string, { code: string; assetKey: string; readsConfigItem: boolean }>();
  for (const construct of stack.node.findAll()) {
    if (!(construct instanceof LeadflowFunction)) continue;
    const fnId = logicalIdOf(stack, construct.fn.node.defaultChild as CfnResource);
    const properties = template.findResources('AWS::Lambda::Function')[fnId]!.Properties as { Code: { S3Key: string } };
    const assetKey = properties.Code.S3Key;
    const code = readFileSync(path.join(outdir, `asset.${assetKey.replace(/\.zip$/, '')}`, 'index.mjs'), 'utf8');
    const roleId = logicalIdOf(stack, construct.fn.role!.node.defaultChild as CfnResource);
    functions.set(construct.node.path.slice(stack.node.path.length + 1), {
      code,
      assetKey,
      readsConfigItem: getItemPartitions(template, roleId).includes('CONFIG#*'),
    });
  }
  return { template, functions };
}

function logicalIdOf(stack: Stack, resource: CfnResource): string {
  return stack.resolve(resource.logicalId) as string;
}

/** The partitions a role may GetItem, from every policy attached to it. */
function getItemPartitions(template: Template, roleId: string): string[] {
  type Statement = { Action: string | string[]; Condition?: Record<string, Record<string, string[]>> };
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((policy) => (policy.Properties.Roles as Array<{ Ref: string }>).some((role) => role.Ref === roleId))
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Statement[])
    .filter((statement) => [statement.Action].flat().includes('dynamodb:GetItem'))
    .flatMap((statement) => statement.Condition?.['ForAllValues:StringLike']?.['dynamodb:LeadingKeys'] ?? []);
}

let large: WithBundles;

// Bundling every function takes a minute on 2 cores, more while the integration tests run beside it.
beforeAll(() => {
  large = synthesizeWithBundles({ lifecycle: team });
}, 300_000);

describe('a 10-owner lifecycle configuration', () => {
  it('is a team whose configuration alone is larger than a function environment may be', () => {
    expect(team.owners).toHaveLength(10);
    expect(Object.keys(team.playbooks).sort()).toEqual([...playbookKeys].sort());
    expect(Object.values(team.playbooks).every((lines) => lines.length === 5)).toBe(true);
    expect(Buffer.byteLength(JSON.stringify(team))).toBeGreaterThan(2 * LAMBDA_ENVIRONMENT_LIMIT_BYTES);
  });

  it("synthesizes with every function's environment under Lambda's 4 KB, and none carries the configuration", () => {
    const environments = Object.entries(large.template.findResources('AWS::Lambda::Function')).map(([id, fn]) => {
      const variables = (fn.Properties as { Environment?: { Variables?: Record<string, unknown> } }).Environment?.Variables ?? {};
      // Lambda counts the variables' names and values; a token's value is resolved at deploy (an ARN, a name).
      const bytes = Object.entries(variables).reduce(
        (sum, [name, value]) =>
          sum + Buffer.byteLength(name) + Buffer.byteLength(typeof value === 'string' ? value : JSON.stringify(value)),
        0,
      );
      return { id, names: Object.keys(variables), bytes };
    });
    expect(environments.length).toBeGreaterThan(20);
    for (const { id, names, bytes } of environments) {
      expect(bytes, id).toBeLessThan(LAMBDA_ENVIRONMENT_LIMIT_BYTES);
      expect(names, id).not.toContain('LIFECYCLE_CONFIG');
      expect(JSON.stringify(names), id).not.toContain('owner-1-synth');
    }
    expect(JSON.stringify(large.template.toJSON())).not.toContain('owner-1-synth@example.com');
  });

  it('is in the code of exactly the functions that may read the stored configuration, and left unreplaced in none', () => {
    const withConfig = [...large.functions].filter(([, fn]) => fn.code.includes(bundledValue)).map(([name]) => name);
    const readers = [...large.functions].filter(([, fn]) => fn.readsConfigItem).map(([name]) => name);
    expect(withConfig.sort()).toEqual(readers.sort());
    expect(withConfig).toEqual(
      expect.arrayContaining([
        'Lifecycle/RouteLead',
        'Lifecycle/AwaitRepMove',
        'Lifecycle/SendFollowUp',
        'Lifecycle/SendRetentionEmail',
        'Lifecycle/RenurtureLead',
        'Lifecycle/MoveLeadStage',
        'Lifecycle/ManageLifecycleConfig',
      ]),
    );
    // A bundle that calls loadLifecycleConfig() without the define keeps the bare identifier (and fails at its first call).
    for (const [name, fn] of large.functions) expect(fn.code.includes('LEADFLOW_DEPLOYED_LIFECYCLE_CONFIG'), name).toBe(false);
    const decoded = JSON.parse(Buffer.from(bundledValue, 'base64').toString('utf8')) as unknown;
    expect(decoded).toEqual(deployed);
  });

  it('changes the bundles of the functions that read it when the context changes (a deploy ships the new default)', () => {
    const other = synthesizeWithBundles({ lifecycle: { ...team, owners: team.owners.slice(0, 9) } });
    expect(other.functions.get('Lifecycle/RouteLead')!.assetKey).not.toBe(large.functions.get('Lifecycle/RouteLead')!.assetKey);
    expect(other.functions.get('Lifecycle/ContinueLifecycle')!.assetKey).toBe(large.functions.get('Lifecycle/ContinueLifecycle')!.assetKey);
  }, 300_000);

  it('refuses at synth a context that fails the schema, naming the field', () => {
    expect(() => synthesize({ lifecycle: { ...team, owners: [] } })).toThrow(/owners/);
  });
});
