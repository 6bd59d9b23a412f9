import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { randomBytes } from 'node:crypto';
import * as z from 'zod';
import { campaignStepOnceKey, launchSchema, parseCampaign } from '../core/campaign';
import { detailsFromIssues, NotFoundError, ValidationError } from '../core/errors';
import { leadIdSchema, type Lead } from '../core/lead';
import { marketingTemplateData } from '../core/marketing-templates';
import { readCampaignStats } from './shared/campaign-stats';
import { launchPartitions, previewSegment } from './shared/campaign-segment';
import { createCampaign, listCampaigns, requireCampaign, setCampaignStatus, type StoredCampaign } from './shared/campaigns-repository';
import { getEmailTemplate } from './shared/email-templates-repository';
import { httpHandler, type HttpRequest, type HttpResponse } from './shared/http';
import { getLead } from './shared/leads-repository';
import { sendTemplatedEmail } from './shared/mailer';

const env = z.object({ CAMPAIGN_LAUNCH_ARN: z.string().min(1) }).parse(process.env);
const sfn = new SFNClient({});

/** Leads a preview shows. */
export const PREVIEW_SAMPLE_SIZE = 10;

const testSendSchema = z.strictObject({ leadId: leadIdSchema, to: z.email({ error: 'must be an email address' }) });

/**
 * The campaigns API (campaigns:write): define, list and read campaigns with their live stats,
 * preview a segment, test-send every step, and launch, pause, resume or cancel.
 */
export const handler = httpHandler(
  async (request) => {
    const route = request.routeKey;
    if (route === 'POST /v1/campaigns') return create(request);
    if (route === 'GET /v1/campaigns') return { status: 200, json: { campaigns: (await listCampaigns()).map(summary) } };
    const campaignId = z
      .string()
      .regex(/^cmp_[A-Za-z0-9_-]{16}$/)
      .safeParse(request.pathParameters.campaignId);
    if (!campaignId.success) throw new NotFoundError('there is no such campaign');
    const id = campaignId.data;
    const now = new Date();
    switch (route) {
      case 'GET /v1/campaigns/{campaignId}': {
        const campaign = await requireCampaign(id);
        return { status: 200, json: { ...campaign, stats: await readCampaignStats(id) } };
      }
      case 'POST /v1/campaigns/{campaignId}/preview': {
        const campaign = await requireCampaign(id);
        const { count, sample } = await previewSegment(campaign.segment, PREVIEW_SAMPLE_SIZE);
        return { status: 200, json: { count, sample: sample.map(sampleOf) } };
      }
      case 'POST /v1/campaigns/{campaignId}/test-send':
        return testSend(await requireCampaign(id), request.body);
      case 'POST /v1/campaigns/{campaignId}/launch':
        return launch(id, request.body, now);
      case 'POST /v1/campaigns/{campaignId}/pause':
        return { status: 200, json: summary(await setCampaignStatus(id, 'paused', ['active'], now)) };
      case 'POST /v1/campaigns/{campaignId}/resume':
        return { status: 200, json: summary(await setCampaignStatus(id, 'active', ['paused'], now)) };
      case 'POST /v1/campaigns/{campaignId}/cancel':
        return { status: 200, json: summary(await setCampaignStatus(id, 'cancelled', ['draft', 'active', 'paused'], now)) };
    }
    throw new NotFoundError(`no route ${route}`);
  },
  { body: 'json', optionalBody: true },
);

async function create(request: HttpRequest): Promise<HttpResponse> {
  const definition = parseCampaign(request.body);
  // Every step's template must exist now: a launch must not find out at the first send.
  const missing = [];
  for (const [index, step] of definition.steps.entries()) {
    if (!(await getEmailTemplate(step.templateId)))
      missing.push({ path: `steps[${index}].templateId`, message: `there is no template ${step.templateId}` });
  }
  if (missing.length > 0) throw new ValidationError('the campaign names templates that do not exist', missing);
  const campaign = await createCampaign(definition, new Date());
  return { status: 201, headers: { location: `/v1/campaigns/${campaign.campaignId}` }, json: campaign };
}

/**
 * Activates the campaign and starts a launch: a Distributed Map over the segment's stage
 * partitions enrolls each lead once and starts its sequence. `targeted` is the segment's size now
 * (a repeated launch answers it too, and enrolls only leads not enrolled yet).
 */
async function launch(campaignId: string, body: Record<string, unknown>, now: Date): Promise<HttpResponse> {
  const options = launchSchema.safeParse(body);
  if (!options.success) throw new ValidationError('the launch is invalid', detailsFromIssues(options.error.issues));
  const campaign = await setCampaignStatus(campaignId, 'active', ['draft'], now, { launchedAt: now.toISOString() });
  // A campaign that only enrolls through its triggers is activated without enrolling its segment.
  if (!options.data.enrollSegment) return { status: 202, json: { launchId: 'triggers-only', targeted: 0, campaignId } };
  const { count } = await previewSegment(campaign.segment, 0);
  const launchId = `lch_${randomBytes(12).toString('base64url')}`;
  const partitions = launchPartitions(campaign.segment).map((partition) => ({ campaignId, launchId, ...partition }));
  await sfn.send(
    new StartExecutionCommand({
      stateMachineArn: env.CAMPAIGN_LAUNCH_ARN,
      name: launchId,
      input: JSON.stringify({ campaignId, launchId, partitions }),
    }),
  );
  return { status: 202, json: { launchId, targeted: count, campaignId } };
}

/** Renders every step for one lead to one address: no claims, no history, no counters (a test). */
async function testSend(campaign: StoredCampaign, body: Record<string, unknown>): Promise<HttpResponse> {
  const parsed = testSendSchema.safeParse(body);
  if (!parsed.success) throw new ValidationError('the test send is invalid', detailsFromIssues(parsed.error.issues));
  const lead = await getLead(parsed.data.leadId, true);
  if (!lead) throw new ValidationError('there is no such lead', [{ path: 'leadId', message: 'there is no such lead' }]);
  const sent = [];
  for (const [index, step] of campaign.steps.entries()) {
    const template = await getEmailTemplate(step.templateId);
    if (!template)
      throw new ValidationError('a step names a template that does not exist', [
        { path: `steps[${index}].templateId`, message: 'missing' },
      ]);
    const outcome = await sendTemplatedEmail({
      to: parsed.data.to,
      templateId: step.templateId,
      templateName: template.sesTemplateName,
      // A test send's unsubscribe link goes nowhere: it must not unsubscribe the lead it renders.
      data: {
        ...marketingTemplateData(lead, template.fallbacks),
        unsubscribeUrl: `https://unsubscribe.invalid/test/${campaignStepOnceKey(campaign.campaignId, index)}`,
      },
      tags: { campaign: campaign.campaignId, step: String(index), test: 'true' },
    });
    sent.push({
      step: index,
      templateId: step.templateId,
      ...(outcome.status === 'sent' ? { messageId: outcome.messageId } : { status: 'suppressed' }),
    });
  }
  return { status: 200, json: { to: parsed.data.to, steps: sent } };
}

function summary(campaign: StoredCampaign) {
  return {
    campaignId: campaign.campaignId,
    name: campaign.name,
    status: campaign.status,
    createdAt: campaign.createdAt,
    updatedAt: campaign.updatedAt,
  };
}

function sampleOf(lead: Lead) {
  return {
    leadId: lead.leadId,
    stage: lead.stage,
    source: lead.source,
    score: lead.score?.total,
    grade: lead.score?.grade,
    createdAt: lead.createdAt,
  };
}
