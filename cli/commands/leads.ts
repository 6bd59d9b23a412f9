import type { HistoryEntry } from '../../core/history';
import type { Lead } from '../../core/lead';
import { type CommandGroup, type Invocation, numberOption, stringOption } from '../command';
import { UsageError } from '../errors';
import { compact, table } from '../format';
import type { ApiClient } from '../http';

type HistoryPage = { leadId: string; entries: Array<Omit<HistoryEntry, 'leadId'>>; nextCursor?: string };

export const leads: CommandGroup = {
  name: 'leads',
  summary: 'Read leads: one with its score breakdown and history, or find them.',
  subcommands: {
    show: {
      args: ['<leadId>'],
      summary: "Show a lead: stage, owner, the score's breakdown (each rule's points and reason), its history.",
      details: ['--json prints {"lead": <the lead>, "history": [<every entry>]}.'],
      async run(invocation) {
        const [leadId = ''] = invocation.positionals;
        const api = invocation.api();
        const path = `/v1/leads/${encodeURIComponent(leadId)}`;
        const { json: lead } = await api.get<Lead>(path);
        const history = await wholeHistory(api, path);
        invocation.answer({ lead, history }, () => leadText(lead, history));
      },
    },
    find: {
      args: ['[email]'],
      summary: 'Find the lead of an address, or list leads by stage, owner and grade, newest first.',
      details: ['leadflow leads find ada@example.com  is  leadflow leads find --email ada@example.com'],
      options: {
        email: { type: 'string', value: 'ADDRESS', description: 'the lead of this address (alone: it takes no other filter)' },
        stage: {
          type: 'string',
          value: 'STAGE',
          description: 'new, nurturing, qualified, disqualified, presentation, objection, closing, won, lost',
        },
        owner: { type: 'string', value: 'EMAIL', description: "the owner's email: a rep's leads" },
        grade: { type: 'string', value: 'GRADE', description: 'A, B, C or D' },
        limit: { type: 'string', value: 'N', description: 'leads per page, 1-100 (default 25)' },
        cursor: { type: 'string', value: 'CURSOR', description: 'the next page, as the previous page printed it' },
      },
      async run(invocation) {
        const [positionalEmail] = invocation.positionals;
        const email = stringOption(invocation, 'email') ?? positionalEmail;
        if (positionalEmail !== undefined && stringOption(invocation, 'email') !== undefined) {
          throw new UsageError('leads find takes the address once: as an argument or as --email');
        }
        const query = {
          email,
          stage: stringOption(invocation, 'stage'),
          owner: stringOption(invocation, 'owner'),
          grade: stringOption(invocation, 'grade'),
          limit: numberOption(invocation, 'limit', { integer: true, min: 1 }),
          cursor: stringOption(invocation, 'cursor'),
        };
        const { json } = await invocation.api().get<{ leads: Lead[]; nextCursor?: string }>('/v1/leads', { query });
        if (invocation.json) {
          invocation.printJson(json);
          return;
        }
        printLeads(invocation, json.leads, email);
        if (json.nextCursor) invocation.context.stderr.write(`more: leadflow leads find ... --cursor ${json.nextCursor}\n`);
      },
    },
  },
};

/** Every page of a lead's history, oldest first. */
async function wholeHistory(api: ApiClient, leadPath: string): Promise<HistoryPage['entries']> {
  const entries: HistoryPage['entries'] = [];
  let cursor: string | undefined;
  do {
    const { json: page } = await api.get<HistoryPage>(`${leadPath}/history`, { query: { limit: 500, cursor } });
    entries.push(...page.entries);
    cursor = page.nextCursor;
  } while (cursor);
  return entries;
}

function printLeads(invocation: Invocation, found: Lead[], email: string | undefined): void {
  if (found.length === 0) {
    invocation.print(email ? `no lead for ${email}` : 'no leads');
    return;
  }
  invocation.print(
    table(
      ['LEAD ID', 'EMAIL', 'STAGE', 'SCORE', 'GRADE', 'OWNER', 'CREATED'],
      found.map((lead) => [lead.leadId, lead.email, lead.stage, lead.score?.total, lead.score?.grade, lead.owner?.email, lead.createdAt]),
    ),
  );
}

export function leadText(lead: Lead, history: HistoryPage['entries']): string {
  const name = [lead.profile.firstName, lead.profile.lastName].filter(Boolean).join(' ');
  const lines = [
    `${lead.leadId}  ${lead.email}${name ? `  ${name}` : ''}${lead.profile.company ? ` (${lead.profile.company})` : ''}`,
    `stage   ${lead.stage} since ${lead.stageChangedAt}`,
    `owner   ${lead.owner ? `${lead.owner.name} <${lead.owner.email}>` : '-'}`,
    `source  ${lead.source}`,
  ];
  if (lead.deal) lines.push(`deal    ${lead.deal.currency} ${lead.deal.value} won ${lead.deal.wonAt}`);
  if (lead.workflow)
    lines.push(`workflow needs attention: ${lead.workflow.state} failed with ${lead.workflow.error} since ${lead.workflow.since}`);
  const { score } = lead;
  if (score) {
    lines.push(
      `score   ${score.total} (grade ${score.grade}) = fit ${score.fit} x ${score.weights.fit} + engagement ${score.engagement} x ${score.weights.engagement}`,
      `        rules ${score.rulesVersion}, scored ${score.scoredAt}`,
      '',
      table(
        ['RULE', 'CATEGORY', 'POINTS', 'REASON'],
        score.breakdown.map((line) => [line.ruleId, line.category, signed(line.points), line.reason]),
      ).trimEnd(),
    );
  } else {
    lines.push('score   not scored yet');
  }
  lines.push('', `history (${history.length} entries)`);
  if (history.length > 0) {
    lines.push(
      table(
        ['AT', 'TYPE', 'ACTOR', 'DETAILS'],
        history.map((entry) => [entry.at, entry.type, entry.actor, compact(entry.data)]),
      ).trimEnd(),
    );
  }
  return `${lines.join('\n')}\n`;
}

/** Breakdown points with their sign: the lines add up to the category's figure. */
function signed(points: number): string {
  return `${points > 0 ? '+' : ''}${points.toFixed(1)}`;
}
