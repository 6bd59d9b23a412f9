import { type Command, type CommandGroup, type Invocation, numberOption } from '../command';
import { ApiError } from '../errors';
import { readJsonFile } from '../files';
import { Progress, table } from '../format';

interface CampaignSummary {
  campaignId: string;
  name: string;
  status: 'draft' | 'active' | 'paused' | 'cancelled';
  createdAt: string;
  updatedAt: string;
}
/** `stats`: targeted, sent, delivered, opened, clicked, unsubscribed, bounced, complained, skipped_<reason>. */
type CampaignView = CampaignSummary & { stats?: Record<string, number> };

const campaignPath = (invocation: Invocation) => `/v1/campaigns/${encodeURIComponent(invocation.positionals[0] ?? '')}`;

/** pause, resume and cancel: one POST each, answering the campaign with its new status. */
function statusMove(action: 'pause' | 'resume' | 'cancel', summary: string): Command {
  return {
    args: ['<campaignId>'],
    summary,
    async run(invocation) {
      const { json } = await invocation.api().write<CampaignSummary>('POST', `${campaignPath(invocation)}/${action}`);
      invocation.answer(json, () => `${json.campaignId}: ${json.status}`);
    },
  };
}

export const campaigns: CommandGroup = {
  name: 'campaigns',
  summary: 'Define, preview, launch and follow nurture campaigns.',
  subcommands: {
    create: {
      args: ['--file FILE'],
      summary: 'Define a campaign from a JSON file (created as a draft).',
      details: ['The file: {"name", "segment": {...}, "steps": [{"templateId", "delay", "condition"?}], "triggers"?, "reEntryAfter"?}.'],
      options: { file: { type: 'string', value: 'FILE', description: "the campaign's JSON" } },
      async run(invocation) {
        const campaign = readJsonFile(typeof invocation.values.file === 'string' ? invocation.values.file : undefined, 'campaigns create');
        const { json } = await invocation.api().write<CampaignView>('POST', '/v1/campaigns', { body: campaign });
        invocation.answer(json, () => `created ${json.campaignId} (${json.name}, ${json.status})`);
      },
    },
    list: {
      summary: 'List the campaigns with their status.',
      async run(invocation) {
        const { json } = await invocation.api().get<{ campaigns: CampaignSummary[] }>('/v1/campaigns');
        invocation.answer(json, () =>
          table(
            ['CAMPAIGN ID', 'NAME', 'STATUS', 'CREATED', 'UPDATED'],
            json.campaigns.map((campaign) => [campaign.campaignId, campaign.name, campaign.status, campaign.createdAt, campaign.updatedAt]),
          ),
        );
      },
    },
    preview: {
      args: ['<campaignId>'],
      summary: 'How many leads a launch would target now, and 10 of them; nothing is sent.',
      async run(invocation) {
        type Preview = { count: number; sample: Array<{ leadId: string; stage: string; source: string; score?: number; grade?: string }> };
        const { json } = await invocation.api().write<Preview>('POST', `${campaignPath(invocation)}/preview`);
        invocation.answer(json, () => {
          const sample = json.sample.map((lead) => [lead.leadId, lead.stage, lead.source, lead.score, lead.grade]);
          const count = `${json.count} leads would be targeted\n`;
          return sample.length === 0 ? count : count + table(['LEAD ID', 'STAGE', 'SOURCE', 'SCORE', 'GRADE'], sample);
        });
      },
    },
    launch: {
      args: ['<campaignId>'],
      summary: 'Launch a campaign; follow its first emails until each targeted lead is sent or skipped.',
      details: [
        'Progress (sent of targeted) goes to stderr: a bar on a terminal, plain lines otherwise.',
        'Ctrl-C or --timeout stop the waiting, never the launch.',
      ],
      options: {
        'no-wait': { type: 'boolean', description: 'return once launched' },
        timeout: { type: 'string', value: 'SECONDS', description: 'stop waiting after this long (exit 1); default: no limit' },
      },
      async run(invocation) {
        const api = invocation.api();
        const path = campaignPath(invocation);
        const { json: launched } = await api.write<{ launchId: string; targeted: number; campaignId: string }>('POST', `${path}/launch`);
        const launchedText = `launched ${launched.campaignId} (${launched.launchId}): ${launched.targeted} leads targeted`;
        if (invocation.values['no-wait'] === true) {
          invocation.answer(launched, () => launchedText);
          return;
        }
        // With --json, one document at the end: the launch and the campaign as it settled.
        if (!invocation.json) invocation.print(launchedText);

        const timeoutSeconds = numberOption(invocation, 'timeout', { min: 0 });
        const deadline = timeoutSeconds === undefined ? undefined : Date.now() + timeoutSeconds * 1000;
        const progress = new Progress(invocation.context.stderr);
        for (;;) {
          const { json: campaign } = await api.get<CampaignView>(path);
          const stats = campaign.stats ?? {};
          const sent = stats.sent ?? 0;
          const skipped = Object.entries(stats).reduce((sum, [name, count]) => (name.startsWith('skipped_') ? sum + count : sum), 0);
          const label = `sent ${sent}/${launched.targeted}${skipped > 0 ? `, skipped ${skipped}` : ''} (${campaign.status})`;
          progress.update(sent + skipped, launched.targeted, label);
          const settled = sent + skipped >= launched.targeted || campaign.status === 'cancelled' || campaign.status === 'paused';
          if (settled) {
            progress.finish();
            invocation.answer({ ...launched, campaign }, () => `${campaign.campaignId}: ${label}`);
            return;
          }
          if (deadline !== undefined && Date.now() >= deadline) {
            progress.finish();
            throw new ApiError(
              `stopped waiting after ${timeoutSeconds} s: ${label}; the launch goes on (leadflow campaigns stats ${campaign.campaignId})`,
            );
          }
          await invocation.context.sleep(invocation.context.pollIntervalMs);
        }
      },
    },
    stats: {
      args: ['<campaignId>'],
      summary: "A campaign's status and live counters (targeted, sent, delivered, opened... skipped by reason).",
      async run(invocation) {
        const { json } = await invocation.api().get<CampaignView>(campaignPath(invocation));
        invocation.answer(
          json,
          () => `${json.campaignId}  ${json.name}  (${json.status})\n${table(['COUNTER', 'VALUE'], Object.entries(json.stats ?? {}))}`,
        );
      },
    },
    pause: statusMove('pause', 'Pause a campaign: every pending step holds until a resume.'),
    resume: statusMove('resume', 'Resume a paused campaign.'),
    cancel: statusMove('cancel', 'Cancel a campaign: every pending step ends, nothing more is sent.'),
  },
};
