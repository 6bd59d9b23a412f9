import * as z from 'zod';
import {
  apiKeyListSchema,
  apiKeyViewSchema,
  issuedApiKeySchema,
  keyIdSchema,
  newApiKeySchema,
  rotatedApiKeySchema,
  rotationSchema,
  type Scope,
} from '../core/api-key';
import { launchSchema, newCampaignSchema } from '../core/campaign';
import { campaignCounters } from '../core/campaign-stats';
import { ownerChangeSchema } from '../core/handoff';
import { leadSchema } from '../core/lead';
import { leadExportSchema } from '../core/lead-export';
import {
  deletedTemplateSchema,
  marketingTemplateListSchema,
  marketingTemplateRequestSchema,
  marketingTemplateSchema,
  templatePathSchema,
} from '../core/marketing-template-edit';
import { lifecycleConfigSchema, lifecycleConfigViewSchema } from '../core/lifecycle';
import { metricsQuerySchema, metricsReportSchema } from '../core/metrics/report-schema';
import { scoringRulesSchema } from '../core/scoring';
import { stageMoveSchema } from '../core/stage-machine';
import { MAX_BODY_BYTES } from '../core/submission';
import { errorBodySchema, gatewayErrorBodySchema } from './error-body';
import {
  aggregationJobPathSchema,
  captureFieldsSchema,
  captureHeadersSchema,
  engagementEventRequestSchema,
  formPathSchema,
  formRequestSchema,
  historyQuerySchema,
  idempotencyHeaderSchema,
  ifMatchHeaderSchema,
  leadPathSchema,
  leadsQuerySchema,
  rescoreJobPathSchema,
} from './requests';
import {
  aggregationJobSchema,
  captureAnswerSchema,
  engagementAnswerSchema,
  erasureAnswerSchema,
  formViewSchema,
  formWithStatsSchema,
  healthSchema,
  historyPageSchema,
  leadsPageSchema,
  openApiDocumentSchema,
  ownerChangeAnswerSchema,
  rescoreJobSchema,
  rescoreStartedSchema,
  rulesPublishedSchema,
  stageMoveAnswerSchema,
  workflowRetryAnswerSchema,
} from './responses';

/**
 * The HTTP API's routes, declared once: the OpenAPI document is generated from this list, and
 * tests hold it against the deployed template and the README. The schemas are the ones the
 * handlers validate with (or answer in), so the document cannot drift from the code.
 * CORS preflight routes (OPTIONS) are left out: they are browser mechanics, not operations.
 */

export const apiTags = [
  { name: 'Capture', description: 'Landing-page form submissions: public, or signed per form.' },
  { name: 'Leads', description: 'Leads, their audit trail and their moves through the sales stages.' },
  { name: 'Scoring', description: 'Engagement events, the scoring rules and rescoring every lead.' },
  {
    name: 'Campaigns',
    description: 'Nurture campaigns: a segment and timed email steps, launched for the segment or enrolled by triggers.',
  },
  { name: 'Metrics', description: 'Funnel KPIs from the daily aggregates.' },
  { name: 'Privacy', description: "A person's data: export everything held about them, or erase them (GDPR)." },
  { name: 'Consent', description: 'The links in emails: one-click unsubscribe (RFC 8058) and the double opt-in confirmation.' },
  { name: 'Administration', description: 'Landing-page forms, API keys and the lifecycle configuration.' },
  { name: 'Email templates', description: "Marketing's email templates, deployed to SES one version at a time." },
  { name: 'Service', description: 'Liveness and this description of the API.' },
] as const;
export type ApiTag = (typeof apiTags)[number]['name'];

export type ApiMethod = 'get' | 'post' | 'put' | 'delete';

export interface ApiResponse {
  description: string;
  /** The body's schema per media type; none for an empty answer. */
  content?: Record<string, z.ZodType>;
  headers?: z.ZodObject;
}

export interface ApiRoute {
  method: ApiMethod;
  /** The gateway's route path; `{name}` is a path parameter. */
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  tag: ApiTag;
  /** The API-key scope the route requires (`admin` holds every scope), or `public`. */
  access: Scope | 'public';
  params?: { path?: z.ZodObject; query?: z.ZodObject; header?: z.ZodObject };
  /** `optional`: the body may be left out (every field has a default). */
  body?: { description?: string; content: Record<string, z.ZodType>; optional?: boolean };
  /** Every answer the route gives, by status. */
  responses: Record<number, ApiResponse>;
}

const JSON_MEDIA_TYPE = 'application/json';
/** What a form may post: a plain HTML form's urlencoded or multipart body, or a JSON object (a form tool's webhook body included). */
const FORM_MEDIA_TYPES = ['application/x-www-form-urlencoded', 'multipart/form-data', JSON_MEDIA_TYPE];

function answer(description: string, schema: z.ZodType, headers?: z.ZodObject): ApiResponse {
  return { description, content: { [JSON_MEDIA_TYPE]: schema }, ...(headers && { headers }) };
}

function error(description: string): ApiResponse {
  return answer(description, errorBodySchema);
}

function jsonBody(schema: z.ZodType, description?: string): NonNullable<ApiRoute['body']> {
  return { ...(description && { description }), content: { [JSON_MEDIA_TYPE]: schema } };
}

/** What the gateway answers on every route behind an API key, before the function runs (its authorizer's verdict). */
const keyErrors = {
  401: answer(
    'No valid API key: missing, unknown, revoked, or past its rotation overlap (`{"message":"Unauthorized"}`).',
    gatewayErrorBodySchema,
  ),
  403: answer('The API key lacks the scope (`{"message":"Forbidden"}`).', gatewayErrorBodySchema),
};

const keyPathSchema = z.object({ keyId: keyIdSchema });
const lifecycleConfigAnswer = answer(
  'The configuration in effect, its source and version.',
  lifecycleConfigViewSchema,
  z.object({ etag: z.string().meta({ description: 'The version, quoted: send it back as `If-Match` to edit.' }) }),
);
const lifecycleConfigPreconditions = {
  412: error('Another edit came first (`lifecycle_config_changed`): read the configuration again and reapply the change.'),
  428: error('`If-Match` is missing (`precondition_required`): an edit must name the version it replaces.'),
};
const noSuchKey = error('There is no such API key (`not_found`).');

/** What every route with a JSON body may answer about the body itself. */
const jsonBodyErrors = {
  413: error('The body is too large (`payload_too_large`).'),
  415: error('The body is not `application/json` (`unsupported_media_type`).'),
};

/** The signed link in an email: the only credential of the consent routes. */
const linkQuerySchema = z.object({
  token: z.string().meta({ description: 'The signed token from the email link (opaque: it names nothing readable).' }),
});
const htmlPage = (description: string): ApiResponse => ({ description, content: { 'text/html': z.string() } });
/** A bad link: a page for a browser (`Accept: text/html`), the JSON error for anyone else. */
const badLink: ApiResponse = {
  description:
    'The token is missing, forged, altered, expired, made for another purpose or for a lead that is gone (`validation_failed`, naming `token`): nothing changed.',
  content: { [JSON_MEDIA_TYPE]: errorBodySchema, 'text/html': z.string() },
};
/** RFC 8058: the mailbox provider POSTs `List-Unsubscribe=One-Click`; the page's button posts the same and `from=page`. */
const oneClickBodySchema = z.object({
  'List-Unsubscribe': z.literal('One-Click').optional(),
  from: z.literal('page').optional().meta({ description: 'Set by the confirmation page: the unsubscribe was made there.' }),
});

const consentRoutes: ApiRoute[] = [
  {
    method: 'get',
    path: '/v1/unsubscribe',
    operationId: 'showUnsubscribePage',
    summary: 'The unsubscribe page of a marketing email',
    description:
      'A small page with an Unsubscribe button (which POSTs back). A GET changes nothing: mail scanners and link previews follow links.',
    tag: 'Consent',
    access: 'public',
    params: { query: linkQuerySchema },
    responses: { 200: htmlPage('The page with its button (or, already unsubscribed, saying so).'), 400: badLink },
  },
  {
    method: 'post',
    path: '/v1/unsubscribe',
    operationId: 'unsubscribe',
    summary: 'Unsubscribe with one click (RFC 8058)',
    description:
      'Unsubscribes at once, with no further step: the lead gets no more marketing email, its address goes on the suppression list, ' +
      "and a campaign's email counts the unsubscribe. Repeating it changes nothing and answers 200 again.",
    tag: 'Consent',
    access: 'public',
    params: { query: linkQuerySchema },
    body: { content: { 'application/x-www-form-urlencoded': oneClickBodySchema }, optional: true },
    responses: { 200: htmlPage('Unsubscribed (now or before).'), 400: badLink },
  },
  {
    method: 'get',
    path: '/v1/consent/confirm',
    operationId: 'showConsentConfirmationPage',
    summary: 'The double opt-in confirmation page',
    description: 'A small page with a Confirm button (which POSTs back). A GET records nothing.',
    tag: 'Consent',
    access: 'public',
    params: { query: linkQuerySchema },
    responses: { 200: htmlPage('The page with its button.'), 400: badLink },
  },
  {
    method: 'post',
    path: '/v1/consent/confirm',
    operationId: 'confirmConsent',
    summary: 'Confirm a double opt-in',
    description:
      'Records the consent the person asked for on a double-opt-in form (when, which form, what text). The link works for 7 days; ' +
      'confirming twice changes nothing.',
    tag: 'Consent',
    access: 'public',
    params: { query: linkQuerySchema },
    body: { content: { 'application/x-www-form-urlencoded': z.object({ confirm: z.literal('yes').optional() }) }, optional: true },
    responses: { 200: htmlPage('Consent recorded (now or before).'), 400: badLink },
  },
];

const idempotencyReused = error('The Idempotency-Key was already used for a different request (`idempotency_key_reused`).');
const noSuchLead = error('There is no such lead (`not_found`).');
const noSuchTemplate = error('There is no such email template (`not_found`).');

const campaignPathSchema = z.object({ campaignId: z.string().meta({ description: 'The campaign id (`cmp_...`).' }) });
const campaignSummarySchema = z.object({
  campaignId: z.string(),
  name: z.string(),
  status: z.enum(['draft', 'active', 'paused', 'cancelled']),
  createdAt: z.string(),
  updatedAt: z.string(),
});
const campaignStatsSchema = z.object(Object.fromEntries(campaignCounters.map((name) => [name, z.number().int()])));
const campaignViewSchema = newCampaignSchema.extend(campaignSummarySchema.shape).extend({ stats: campaignStatsSchema.optional() });
const noSuchCampaign = error('There is no such campaign (`not_found`).');
const campaignStatusConflict = error('The campaign is not in a status this move starts from (`campaign_status`).');
const statusMove = (action: string, summary: string, description: string): ApiRoute => ({
  method: 'post',
  path: `/v1/campaigns/{campaignId}/${action}`,
  operationId: `${action}Campaign`,
  summary,
  description,
  tag: 'Campaigns',
  access: 'campaigns:write',
  params: { path: campaignPathSchema },
  responses: {
    200: answer('The campaign with its new status.', campaignSummarySchema),
    ...keyErrors,
    404: noSuchCampaign,
    409: campaignStatusConflict,
  },
});

export const apiRoutes: readonly ApiRoute[] = [
  {
    method: 'post',
    path: '/v1/campaigns',
    operationId: 'createCampaign',
    summary: 'Define a campaign',
    description:
      'A segment (stages, score or fit range, grades, sources, UTM campaigns, forms, capture dates, a custom field) and ' +
      'steps (a template after an ISO-8601 delay, with an optional condition on the previous step or the score), optional ' +
      'triggers that enroll leads by themselves and a re-entry delay. Created as a `draft`.',
    tag: 'Campaigns',
    access: 'campaigns:write',
    body: jsonBody(newCampaignSchema),
    responses: {
      201: answer('Defined.', campaignViewSchema, z.object({ location: z.string() })),
      400: error(
        'An invalid definition, or a step naming a template that does not exist (`validation_failed`); `details` name each field (`steps[1].delay`).',
      ),
      ...jsonBodyErrors,
      ...keyErrors,
    },
  },
  {
    method: 'get',
    path: '/v1/campaigns',
    operationId: 'listCampaigns',
    summary: 'List campaigns',
    tag: 'Campaigns',
    access: 'campaigns:read',
    responses: { 200: answer('Every campaign with its status.', z.object({ campaigns: z.array(campaignSummarySchema) })), ...keyErrors },
  },
  {
    method: 'get',
    path: '/v1/campaigns/{campaignId}',
    operationId: 'getCampaign',
    summary: 'Read a campaign and its live stats',
    description:
      'The definition, status and live counters: targeted, sent, delivered, opened, clicked, unsubscribed, bounced, complained, and skipped by reason.',
    tag: 'Campaigns',
    access: 'campaigns:read',
    params: { path: campaignPathSchema },
    responses: { 200: answer('The campaign.', campaignViewSchema), ...keyErrors, 404: noSuchCampaign },
  },
  {
    method: 'post',
    path: '/v1/campaigns/{campaignId}/preview',
    operationId: 'previewCampaign',
    summary: "Count the campaign's segment now",
    description: 'How many leads a launch would target now, and up to 10 of them; nothing is sent.',
    tag: 'Campaigns',
    access: 'campaigns:write',
    params: { path: campaignPathSchema },
    responses: {
      200: answer(
        'The count and a sample.',
        z.object({
          count: z.number().int(),
          sample: z.array(
            z.object({
              leadId: z.string(),
              stage: z.string(),
              source: z.string(),
              score: z.number().optional(),
              grade: z.string().optional(),
              createdAt: z.string(),
            }),
          ),
        }),
      ),
      ...keyErrors,
      404: noSuchCampaign,
    },
  },
  {
    method: 'post',
    path: '/v1/campaigns/{campaignId}/test-send',
    operationId: 'testSendCampaign',
    summary: 'Send every step, rendered for one lead, to one address',
    description: 'A test: no claims, no history, no counters; the unsubscribe link goes nowhere.',
    tag: 'Campaigns',
    access: 'campaigns:write',
    params: { path: campaignPathSchema },
    body: jsonBody(z.object({ leadId: z.string(), to: z.email() })),
    responses: {
      200: answer(
        'What was sent.',
        z.object({
          to: z.string(),
          steps: z.array(
            z.object({ step: z.number().int(), templateId: z.string(), messageId: z.string().optional(), status: z.string().optional() }),
          ),
        }),
      ),
      400: error('A bad lead id or address, or no such lead (`validation_failed`).'),
      ...jsonBodyErrors,
      ...keyErrors,
      404: noSuchCampaign,
    },
  },
  {
    method: 'post',
    path: '/v1/campaigns/{campaignId}/launch',
    operationId: 'launchCampaign',
    summary: 'Launch a campaign for its segment',
    description:
      'Activates the campaign and enrolls every lead of its segment (read from the stage index, a page at a time) into its ' +
      'sequence. A repeated or retried launch enrolls nobody twice and never sends a lead the same step twice. ' +
      '`{"enrollSegment": false}` only activates the campaign: its triggers enroll leads from then on.',
    tag: 'Campaigns',
    access: 'campaigns:write',
    params: { path: campaignPathSchema },
    body: { ...jsonBody(launchSchema), optional: true },
    responses: {
      202: answer('Launching.', z.object({ launchId: z.string(), targeted: z.number().int(), campaignId: z.string() })),
      ...keyErrors,
      404: noSuchCampaign,
      409: campaignStatusConflict,
    },
  },
  statusMove('pause', 'Pause a campaign', 'Every pending step holds (and looks again every 15 minutes) until a resume.'),
  statusMove('resume', 'Resume a paused campaign', 'Pending steps go on where they held.'),
  statusMove('cancel', 'Cancel a campaign', 'Every pending step ends; nothing more is sent.'),
  {
    method: 'post',
    path: '/v1/forms/{formId}/submissions',
    operationId: 'captureSubmission',
    summary: 'Submit a landing-page form',
    description:
      'Captures a lead from a plain HTML form post (urlencoded or multipart), a JSON object, or the webhook body of the ' +
      "form's provider (Typeform, Tally, Webflow, HubSpot, Unbounce, Jotform, Netlify, Calendly), mapped with the form's " +
      '`fieldMap`. A second submission for a known address updates the same lead and is recorded as a touch; a provider ' +
      'redelivering the same event counts once; a filled-in honeypot is dropped silently with the same answer. A form ' +
      "with a signing secret requires its provider's signature (`leadflow-signature` for generic forms, a `?token=` for " +
      'providers that cannot sign). Browser form posts (`Accept: text/html`) to a form with a redirect URL are answered ' +
      "`303`. Browsers posting with fetch get CORS for the form's allowed origins.",
    tag: 'Capture',
    access: 'public',
    params: { path: formPathSchema, header: captureHeadersSchema },
    body: {
      description: `At most ${MAX_BODY_BYTES / 1024} KB.`,
      content: Object.fromEntries(FORM_MEDIA_TYPES.map((mediaType) => [mediaType, captureFieldsSchema])),
    },
    responses: {
      202: answer('Captured (or recognized as spam and dropped: the answer is the same).', captureAnswerSchema),
      303: {
        description: 'A browser form post to a form with a redirect URL: on to it, with `leadId` added to its query.',
        headers: z.object({ location: z.url() }),
      },
      400: error('Invalid fields, or a malformed Idempotency-Key (`validation_failed`); `details` name each field.'),
      401: error('The form requires a signature and it is missing, wrong or stale (`invalid_signature`).'),
      404: error('There is no such form (`not_found`).'),
      413: error(`The body is larger than ${MAX_BODY_BYTES / 1024} KB (\`payload_too_large\`).`),
      415: error(`The body is not one of ${FORM_MEDIA_TYPES.join(', ')} (\`unsupported_media_type\`).`),
      422: idempotencyReused,
      503: error(
        'The store is throttling or unreachable, or the lead is too busy: nothing was stored; retry after `Retry-After` seconds (`temporarily_unavailable`).',
      ),
    },
  },
  {
    method: 'get',
    path: '/v1/leads',
    operationId: 'findLeads',
    summary: 'Find or list leads',
    description:
      '`?email=` answers the lead for that address (0 or 1). Otherwise a page of leads, newest first, filtered by `stage`, ' +
      '`owner` and `grade`, read from indexes; pass `nextCursor` back as `cursor` with the same filters for the next page.',
    tag: 'Leads',
    access: 'leads:read',
    params: { query: leadsQuerySchema },
    responses: {
      200: answer('The lead for the address, or a page of leads.', leadsPageSchema),
      400: error('A bad filter, `limit` (1-100) or `cursor` (`validation_failed`).'),
      ...keyErrors,
    },
  },
  {
    method: 'get',
    path: '/v1/leads/{leadId}',
    operationId: 'getLead',
    summary: 'Read a lead',
    description: 'The lead with its stage, owner, source and attribution, profile, and score with its breakdown.',
    tag: 'Leads',
    access: 'leads:read',
    params: { path: leadPathSchema },
    responses: { 200: answer('The lead.', leadSchema), ...keyErrors, 404: noSuchLead },
  },
  {
    method: 'get',
    path: '/v1/leads/{leadId}/history',
    operationId: 'getLeadHistory',
    summary: "Read a lead's audit trail",
    description: 'Every change to the lead in order, oldest first, a page at a time.',
    tag: 'Leads',
    access: 'leads:read',
    params: { path: leadPathSchema, query: historyQuerySchema },
    responses: {
      200: answer('A page of the history.', historyPageSchema),
      400: error('A bad `limit` or `cursor` (`validation_failed`).'),
      ...keyErrors,
      404: noSuchLead,
    },
  },
  {
    method: 'get',
    path: '/v1/leads/{leadId}/export',
    operationId: 'exportLead',
    summary: 'Export everything held about a lead',
    description:
      'One JSON document (an attachment) with the lead, its whole history, its engagement events, the emails sent about it ' +
      'and its consent with the submissions it came with: the answer to a subject access or portability request. ' +
      'Recorded in the audit log (who, when, how much; never the lead itself).',
    tag: 'Privacy',
    access: 'leads:read',
    params: { path: leadPathSchema },
    responses: {
      200: answer(
        'Everything held about the lead.',
        leadExportSchema,
        z.object({ 'content-disposition': z.string().meta({ description: '`attachment; filename="<leadId>.json"`' }) }),
      ),
      ...keyErrors,
      404: noSuchLead,
    },
  },
  {
    method: 'delete',
    path: '/v1/leads/{leadId}',
    operationId: 'eraseLead',
    summary: 'Erase a lead',
    description:
      'Erases the person: the lead and its history are deleted, except history entries the metrics have yet to count, which ' +
      'stay without personal data so the funnel figures do not change; its running workflow is stopped; its idempotency ' +
      'records go. The address is kept only as a keyed hash on the suppression list, so it is never mailed again (also if ' +
      'the person is captured again). Recorded in the audit log with the counts answered here. Irreversible, hence `admin`. ' +
      'A second request answers 404: there is nothing left to erase.',
    tag: 'Privacy',
    access: 'admin',
    params: { path: leadPathSchema },
    responses: {
      200: answer('Erased; what was deleted or anonymized.', erasureAnswerSchema),
      ...keyErrors,
      404: error('There is no such lead, or it was already erased (`not_found`).'),
      503: error(
        "The lead's latest submission is still being recorded, or the store is busy: nothing more was erased; retry after `Retry-After` seconds (`temporarily_unavailable`).",
      ),
    },
  },
  {
    method: 'post',
    path: '/v1/leads/{leadId}/stage',
    operationId: 'moveLeadStage',
    summary: 'Move a lead to another stage',
    description:
      "A rep's move, checked against the allowed moves and recorded with who and why (a move into `qualified` assigns an owner in the same write); " +
      "the lead's workflow resumes from the stored move, after the answer. " +
      '`won` needs `dealValue`, `objection` needs `objection.type`, `lost` and `disqualified` need a `reason`.',
    tag: 'Leads',
    access: 'leads:write',
    params: { path: leadPathSchema, header: idempotencyHeaderSchema },
    body: jsonBody(stageMoveSchema),
    responses: {
      200: answer('Moved.', stageMoveAnswerSchema),
      400: error('An invalid move body (`validation_failed`).'),
      ...keyErrors,
      404: noSuchLead,
      409: error("The move is not allowed from the lead's stage (`invalid_stage_move`); `details` list the allowed stages."),
      ...jsonBodyErrors,
      422: idempotencyReused,
    },
  },
  {
    method: 'post',
    path: '/v1/leads/{leadId}/workflow/retry',
    operationId: 'retryLeadWorkflow',
    summary: "Retry a lead's workflow",
    description:
      "For a lead whose workflow needs attention (`workflow.status` on the lead): a parked execution resumes from the lead's current stage, " +
      'and one that has ended for any reason gets a successor execution that picks the lead up where it stands, its history kept.',
    tag: 'Leads',
    access: 'leads:write',
    params: { path: leadPathSchema },
    responses: {
      202: answer('The workflow goes on.', workflowRetryAnswerSchema),
      ...keyErrors,
      404: noSuchLead,
      409: error("The lead's workflow is running and waits for nothing but its rep: there is nothing to retry (`workflow_running`)."),
    },
  },
  {
    method: 'post',
    path: '/v1/leads/{leadId}/owner',
    operationId: 'changeLeadOwner',
    summary: "Reassign a lead's owner",
    description:
      'Sets the owner to one of the configured owners (lifecycle configuration `owners`), recorded as `owner_changed` (from, to, by whom); ' +
      'the new owner is emailed the lead with its score breakdown, once.',
    tag: 'Leads',
    access: 'leads:write',
    params: { path: leadPathSchema, header: idempotencyHeaderSchema },
    body: jsonBody(ownerChangeSchema),
    responses: {
      200: answer('The lead and its owner.', ownerChangeAnswerSchema),
      400: error('A body without a valid `ownerEmail` (`validation_failed`).'),
      ...keyErrors,
      404: noSuchLead,
      ...jsonBodyErrors,
      422: error(
        '`ownerEmail` is not a configured owner (`unknown_owner`), or the Idempotency-Key was already used (`idempotency_key_reused`).',
      ),
    },
  },
  {
    method: 'post',
    path: '/v1/leads/{leadId}/events',
    operationId: 'recordEngagement',
    summary: 'Record an engagement event',
    description: 'An open, click, visit, reply, meeting... The lead is rescored at once with the active rules.',
    tag: 'Scoring',
    access: 'leads:write',
    params: { path: leadPathSchema, header: idempotencyHeaderSchema },
    body: jsonBody(engagementEventRequestSchema),
    responses: {
      202: answer("Recorded; the lead's new score.", engagementAnswerSchema),
      400: error('An invalid event (`validation_failed`).'),
      ...keyErrors,
      404: noSuchLead,
      ...jsonBodyErrors,
      422: idempotencyReused,
    },
  },
  {
    method: 'put',
    path: '/v1/scoring/rules',
    operationId: 'publishScoringRules',
    summary: 'Publish a scoring rules version',
    description: 'Makes the document the active rules. Existing scores keep their version until `POST /v1/scoring/rescore`.',
    tag: 'Scoring',
    access: 'admin',
    body: jsonBody(scoringRulesSchema),
    responses: {
      200: answer('Published.', rulesPublishedSchema),
      400: error('An invalid document (`validation_failed`); each detail names the path and, for a rule, its `ruleId`.'),
      ...keyErrors,
      409: error('This version was already published (`rules_version_exists`).'),
      ...jsonBodyErrors,
    },
  },
  {
    method: 'get',
    path: '/v1/scoring/rules',
    operationId: 'getScoringRules',
    summary: 'Read the active scoring rules',
    tag: 'Scoring',
    access: 'admin',
    responses: { 200: answer('The active rules (the shipped defaults until a version is published).', scoringRulesSchema), ...keyErrors },
  },
  {
    method: 'post',
    path: '/v1/scoring/rescore',
    operationId: 'startRescore',
    summary: 'Rescore every lead',
    description: 'Starts a job that rescores every lead with the active rules; follow it at the `location` answered.',
    tag: 'Scoring',
    access: 'admin',
    responses: {
      202: answer('Started.', rescoreStartedSchema, z.object({ location: z.string().meta({ description: "The job's progress." }) })),
      ...keyErrors,
    },
  },
  {
    method: 'get',
    path: '/v1/scoring/rescore/{jobId}',
    operationId: 'getRescoreJob',
    summary: "Read a rescore job's progress",
    tag: 'Scoring',
    access: 'admin',
    params: { path: rescoreJobPathSchema },
    responses: {
      200: answer('The job.', rescoreJobSchema),
      ...keyErrors,
      404: error('There is no such rescore job (`not_found`).'),
    },
  },
  {
    method: 'get',
    path: '/v1/metrics',
    operationId: 'getMetrics',
    summary: 'Read the funnel KPIs',
    description:
      'Leads, stage-to-stage conversion, win rate, deal size, sales-cycle length, time in stage, email engagement and the ' +
      'weakest funnel stage, for a range of days (at most 366), grouped by day, source, owner, marketing campaign (`campaign`: ' +
      'its emails sent and what SES reported of them) or UTM campaign (`utm_campaign`). Email rates are per email sent, from ' +
      'SES events, never above 1; deal values are per currency. CSV for `Accept: text/csv`.',
    tag: 'Metrics',
    access: 'metrics:read',
    params: { query: metricsQuerySchema },
    responses: {
      200: {
        description: 'The KPIs of the range.',
        content: {
          [JSON_MEDIA_TYPE]: metricsReportSchema,
          'text/csv': z.string().meta({ description: 'The same report, one row per group, as an attachment.' }),
        },
      },
      400: error('A bad range or grouping (`validation_failed`); `details` say why.'),
      ...keyErrors,
    },
  },
  {
    method: 'post',
    path: '/v1/metrics/aggregate',
    operationId: 'aggregateMetrics',
    summary: 'Run the metrics aggregator now',
    description:
      'Queues a job that folds the events written since the last run into the daily aggregates (the schedule does the same ' +
      'every few minutes) and answers at once; follow it at the `location` answered. While a job is queued or running, the ' +
      'answer is that job: it folds everything written before it started.',
    tag: 'Metrics',
    access: 'admin',
    responses: {
      202: answer(
        'Queued, or the job already queued or running.',
        aggregationJobSchema,
        z.object({ location: z.string().meta({ description: "The job's status." }) }),
      ),
      ...keyErrors,
      409: error('Jobs were being queued and ended at that very moment, several times over (`aggregation_in_progress`); retry.'),
    },
  },
  {
    method: 'get',
    path: '/v1/metrics/aggregate/{jobId}',
    operationId: 'getAggregationJob',
    summary: "Read an aggregation job's status",
    description: 'Queued, running, succeeded (with the events folded and the watermark) or failed (with the error name).',
    tag: 'Metrics',
    access: 'metrics:read',
    params: { path: aggregationJobPathSchema },
    responses: {
      200: answer('The job.', aggregationJobSchema),
      ...keyErrors,
      404: error('There is no such aggregation job (`not_found`).'),
    },
  },
  {
    method: 'put',
    path: '/v1/forms/{formId}',
    operationId: 'putForm',
    summary: 'Create or replace a form',
    tag: 'Administration',
    access: 'admin',
    params: { path: formPathSchema },
    body: jsonBody(formRequestSchema),
    responses: {
      200: answer('The form as stored (without its signing secret).', formViewSchema),
      400: error('A malformed form id or an invalid form (`validation_failed`).'),
      ...keyErrors,
      ...jsonBodyErrors,
    },
  },
  {
    method: 'get',
    path: '/v1/forms/{formId}',
    operationId: 'getForm',
    summary: 'Read a form',
    tag: 'Administration',
    access: 'admin',
    params: { path: formPathSchema },
    responses: {
      200: answer('The form (without its signing secret) and its spam counter.', formWithStatsSchema),
      400: error('A malformed form id (`validation_failed`).'),
      ...keyErrors,
      404: error('There is no such form (`not_found`).'),
    },
  },
  {
    method: 'post',
    path: '/v1/api-keys',
    operationId: 'createApiKey',
    summary: 'Issue an API key',
    description: 'The plaintext key is in this answer only; the platform keeps its hash. `keyId` names the key from then on.',
    tag: 'Administration',
    access: 'admin',
    body: jsonBody(newApiKeySchema),
    responses: {
      201: answer('Issued.', issuedApiKeySchema),
      400: error('An invalid request (`validation_failed`).'),
      ...keyErrors,
      ...jsonBodyErrors,
    },
  },
  {
    method: 'get',
    path: '/v1/api-keys',
    operationId: 'listApiKeys',
    summary: 'List the API keys',
    description: 'Every key with its id, name, scopes and dates, newest first; never the key or its hash.',
    tag: 'Administration',
    access: 'admin',
    responses: { 200: answer('The keys.', apiKeyListSchema), ...keyErrors },
  },
  {
    method: 'delete',
    path: '/v1/api-keys/{keyId}',
    operationId: 'revokeApiKey',
    summary: 'Revoke an API key',
    description: 'The key fails within 1 s (the gateway caches a verdict for 1 s at most). Revoking a revoked key changes nothing.',
    tag: 'Administration',
    access: 'admin',
    params: { path: keyPathSchema },
    responses: { 200: answer('Revoked.', apiKeyViewSchema), ...keyErrors, 404: noSuchKey },
  },
  {
    method: 'post',
    path: '/v1/api-keys/{keyId}/rotate',
    operationId: 'rotateApiKey',
    summary: 'Rotate an API key',
    description:
      'Issues a new key with the same name and scopes (its plaintext is in this answer only). The old key keeps working for ' +
      '`overlapSeconds` (default a day, at most a week), then fails. The body may be left out.',
    tag: 'Administration',
    access: 'admin',
    params: { path: keyPathSchema },
    body: { ...jsonBody(rotationSchema), optional: true },
    responses: {
      201: answer('The new key, and when the old one stops working.', rotatedApiKeySchema),
      400: error('A bad `overlapSeconds` (`validation_failed`).'),
      ...keyErrors,
      404: noSuchKey,
      409: error('The key is revoked or expired, or changed meanwhile (`api_key_inactive`, `api_key_changed`).'),
      ...jsonBodyErrors,
    },
  },
  {
    method: 'get',
    path: '/v1/lifecycle-config',
    operationId: 'getLifecycleConfig',
    summary: 'Read the lifecycle configuration',
    description:
      'The owners, manager, follow-up and retention delays and playbooks in effect: the stored configuration (`source: stored`) ' +
      "or, while none is stored, the deployment's CDK context `lifecycle` (`source: deployed`).",
    tag: 'Administration',
    access: 'admin',
    responses: { 200: lifecycleConfigAnswer, ...keyErrors },
  },
  {
    method: 'put',
    path: '/v1/lifecycle-config',
    operationId: 'putLifecycleConfig',
    summary: 'Replace the lifecycle configuration',
    description:
      'Stores the whole document (checked with the same schema as the deployment); every workflow function uses it within ' +
      '30 s, without a deploy. Each edit is kept as a change record (who, when, the document).',
    tag: 'Administration',
    access: 'admin',
    params: { header: ifMatchHeaderSchema },
    body: jsonBody(lifecycleConfigSchema, 'At most 350 KB.'),
    responses: {
      200: lifecycleConfigAnswer,
      400: error('An invalid document or `If-Match` (`validation_failed`); `details` name each bad field.'),
      ...keyErrors,
      ...lifecycleConfigPreconditions,
      ...jsonBodyErrors,
    },
  },
  {
    method: 'delete',
    path: '/v1/lifecycle-config',
    operationId: 'deleteLifecycleConfig',
    summary: "Go back to the deployment's lifecycle configuration",
    description:
      "Drops the stored document: the deployment's CDK context `lifecycle` is in effect again within 30 s. Recorded as a change.",
    tag: 'Administration',
    access: 'admin',
    params: { header: ifMatchHeaderSchema },
    responses: {
      200: lifecycleConfigAnswer,
      400: error('A malformed `If-Match` (`validation_failed`).'),
      ...keyErrors,
      ...lifecycleConfigPreconditions,
    },
  },
  {
    method: 'get',
    path: '/v1/email-templates',
    operationId: 'listEmailTemplates',
    summary: 'List the email templates',
    description: 'Every marketing email template with its current version.',
    tag: 'Email templates',
    access: 'campaigns:read',
    responses: { 200: answer('The templates.', marketingTemplateListSchema), ...keyErrors },
  },
  {
    method: 'get',
    path: '/v1/email-templates/{templateId}',
    operationId: 'getEmailTemplate',
    summary: 'Read an email template',
    tag: 'Email templates',
    access: 'campaigns:read',
    params: { path: templatePathSchema },
    responses: {
      200: answer('The template at its current version.', marketingTemplateSchema),
      400: error('A malformed template id (`validation_failed`).'),
      ...keyErrors,
      404: noSuchTemplate,
    },
  },
  {
    method: 'put',
    path: '/v1/email-templates/{templateId}',
    operationId: 'putEmailTemplate',
    summary: 'Create or change an email template',
    description:
      'Checks the template (Handlebars variables: lead fields, `custom_<field>` and `{{unsubscribeUrl}}`, which both the ' +
      'HTML and the text part must contain; `#if`/`#unless` blocks balanced), deploys it to SES as a new SES template for ' +
      'the new version, then stores it. HTML parts read HTML-escaped values. The same template again changes nothing.',
    tag: 'Email templates',
    access: 'campaigns:write',
    params: { path: templatePathSchema },
    body: jsonBody(marketingTemplateRequestSchema),
    responses: {
      200: answer('Changed (a new version), or unchanged when the same template was sent again.', marketingTemplateSchema),
      201: answer('Created (version 1, or the next version after a delete).', marketingTemplateSchema),
      400: error('An invalid template (`validation_failed`); `details` name each field (`subject`, `html`, `text`, `fallbacks.<name>`).'),
      ...keyErrors,
      409: error('Another edit of the template came first (`template_changed`): read it and reapply the change.'),
      ...jsonBodyErrors,
      503: error('SES or the store is unavailable: nothing was stored; retry after `Retry-After` seconds (`temporarily_unavailable`).'),
    },
  },
  {
    method: 'delete',
    path: '/v1/email-templates/{templateId}',
    operationId: 'deleteEmailTemplate',
    summary: 'Delete an email template',
    description: 'Removes the template and its SES template. Its version count is kept: a template created again goes on from it.',
    tag: 'Email templates',
    access: 'campaigns:write',
    params: { path: templatePathSchema },
    responses: {
      200: answer('Deleted.', deletedTemplateSchema),
      400: error('A malformed template id (`validation_failed`).'),
      ...keyErrors,
      404: noSuchTemplate,
      409: error('The template changed meanwhile (`template_changed`).'),
    },
  },
  {
    method: 'get',
    path: '/health',
    operationId: 'getHealth',
    summary: 'Health of the service and its dependencies',
    tag: 'Service',
    access: 'public',
    responses: {
      200: answer('Up: every dependency answered.', healthSchema),
      503: answer('A dependency is down (named in `dependencies`); retry after `Retry-After` seconds.', healthSchema),
    },
  },
  {
    method: 'get',
    path: '/openapi.json',
    operationId: 'getOpenApiDocument',
    summary: 'This API as an OpenAPI 3.1 document',
    description: 'Generated from the same zod schemas the handlers validate with.',
    tag: 'Service',
    access: 'public',
    responses: { 200: answer('This document.', openApiDocumentSchema) },
  },
  ...consentRoutes,
];
