import { App, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { LeadflowStack } from './leadflow-stack';

export const STACK_NAME = 'Leadflow';

/** Placeholder team for a first deploy and the local cloud; set context `lifecycle` for a real one. */
export const defaultLifecycle = {
  owners: [
    { name: 'Sam Rivera', email: 'sam.rivera@example.com' },
    { name: 'Alex Chen', email: 'alex.chen@example.com' },
  ],
  manager: { name: 'Morgan Lee', email: 'morgan.lee@example.com' },
};

/** Context given on the command line arrives as a JSON string; from cdk.json as an object. */
function contextJson(value: unknown): unknown {
  return typeof value === 'string' ? JSON.parse(value) : value;
}

export interface BuildAppOptions {
  outdir?: string;
  context?: Record<string, unknown>;
}

/**
 * The CDK app, built the same way by `cdk synth`/`cdk deploy`, the tests and the local cloud.
 * cdk-nag's AwsSolutions pack validates every synth (the Validations form; the old Aspects form
 * crashes on cdk-nag 3).
 */
export function buildApp(options: BuildAppOptions = {}): { app: App; stack: LeadflowStack } {
  const app = new App({ outdir: options.outdir, context: options.context });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  const destroy = app.node.tryGetContext('removalPolicy') === 'destroy';
  const stack = new LeadflowStack(app, STACK_NAME, {
    removalPolicy: destroy ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
    senderEmail: String(app.node.tryGetContext('senderEmail') ?? 'leadflow@example.com'),
    lifecycle: contextJson(app.node.tryGetContext('lifecycle')) ?? defaultLifecycle,
    description: 'leadflow: serverless sales-process automation',
  });
  return { app, stack };
}
