import { App, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { LeadflowStack } from './leadflow-stack';

export const STACK_NAME = 'Leadflow';

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
    description: 'leadflow: serverless sales-process automation',
  });
  return { app, stack };
}
