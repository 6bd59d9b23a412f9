import { DynamoDBDocumentClient, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { planCapture } from '../../../core/capture';
import { historyEntry, type HistoryEntry } from '../../../core/history';
import type { Lead } from '../../../core/lead';
import { defaultScoringRules } from '../../../core/scoring';
import { validateSubmission } from '../../../core/submission';
import { leadItem, saveLeadsTogether } from '../../../functions/shared/leads-repository';
import { FakeTable } from './fake-table';

const dynamo = mockClient(DynamoDBDocumentClient);
let table: FakeTable;

/** A stored lead at version 3, and its change to version 4 with one history entry (as a rescore makes it). */
function storedLead(index: number): { stored: Lead; changed: { lead: Lead; entries: HistoryEntry[] } } {
  const lead = planCapture(
    undefined,
    validateSubmission({ email: `lead${index}@example.com`, firstName: 'Ada' }),
    { formId: 'default' },
    new Date('2026-03-01T00:00:00Z'),
    defaultScoringRules,
    {},
    { leadId: `ld_bulk${String(index).padStart(17, '0')}` },
  ).lead;
  const stored = { ...lead, version: 3 };
  const changed: Lead = { ...stored, version: 4, profile: { ...stored.profile, company: 'Rescored' } };
  const entry = historyEntry(stored.leadId, 'score_changed', 'rescore', new Date('2026-03-02T00:00:00Z'), { reason: 'rules published' });
  return { stored, changed: { lead: changed, entries: [entry] } };
}

beforeEach(() => {
  dynamo.reset();
  table = new FakeTable();
  table.install(dynamo);
});

describe('saveLeadsTogether', () => {
  it('stores 120 changed leads in three transactions of at most 100 items, each lead with its entry', async () => {
    const leads = Array.from({ length: 120 }, (_, i) => storedLead(i));
    for (const { stored } of leads) table.put(leadItem(stored));
    expect(await saveLeadsTogether(leads.map(({ changed }) => changed))).toEqual([]);
    const transactions = dynamo.commandCalls(TransactWriteCommand);
    expect(transactions.map((call) => (call.args[0].input.TransactItems ?? []).length)).toEqual([100, 100, 40]);
    for (const { stored } of leads) expect(table.get({ pk: `LEAD#${stored.leadId}`, sk: 'LEAD' })).toMatchObject({ version: 4 });
    expect(table.where((item) => String(item.sk).startsWith('HISTORY#'))).toHaveLength(120);
  });

  it('answers the leads of a transaction holding one changed meanwhile, and writes none of them', async () => {
    const leads = Array.from({ length: 60 }, (_, i) => storedLead(i));
    for (const { stored } of leads) table.put(leadItem(stored));
    // Lead 55 (in the second transaction) was moved by a rep since the page was read.
    table.put({ ...leadItem(leads[55]!.stored), version: 4 });
    const unstored = await saveLeadsTogether(leads.map(({ changed }) => changed));
    expect(unstored.map((lead) => lead.leadId)).toEqual(leads.slice(50).map(({ stored }) => stored.leadId));
    expect(table.get({ pk: `LEAD#${leads[0]!.stored.leadId}`, sk: 'LEAD' })).toMatchObject({ version: 4 });
    expect(table.get({ pk: `LEAD#${leads[51]!.stored.leadId}`, sk: 'LEAD' })).toMatchObject({ version: 3 });
    expect(table.where((item) => String(item.sk).startsWith('HISTORY#'))).toHaveLength(50);
  });
});
