import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, inject, it } from 'vitest';
import { EVENT_SHARDS, tableKeys } from '../../core/keys';
import { readMailbox, type CapturedEmail } from '../../local/ses';
import { admin, documents, leadPartition } from './helpers';

/**
 * The mail audit, run after every other file (vitest.config.ts): every email the suite made the
 * platform send, read back from the SES local store and matched by its MessageId to the
 * `email_sent` entry that recorded it. Every marketing email carried one-click unsubscribe
 * (RFC 8058 headers and the link in both bodies), and went only to a lead that had consented
 * (with no unsubscribe since) and whose address had not bounced or complained.
 */

interface Entry {
  leadId: string;
  at: string;
  type: string;
  data: Record<string, unknown>;
}

/** Every history entry of `type` written on the given days, from the event-day index (all shards). */
async function entriesWritten(type: string, days: string[]): Promise<Entry[]> {
  const entries: Entry[] = [];
  for (const day of days) {
    for (let shard = 0; shard < EVENT_SHARDS; shard++) {
      let cursor: Record<string, unknown> | undefined;
      do {
        const page = await documents().send(
          new QueryCommand({
            TableName: inject('tableName'),
            IndexName: tableKeys.byDay.indexName,
            KeyConditionExpression: 'gsi2pk = :day',
            FilterExpression: '#type = :type',
            ExpressionAttributeNames: { '#type': 'type' },
            ExpressionAttributeValues: { ':day': `DAY#${day}#${shard}`, ':type': type },
            ExclusiveStartKey: cursor,
          }),
        );
        entries.push(...((page.Items ?? []) as Entry[]));
        cursor = page.LastEvaluatedKey;
      } while (cursor);
    }
  }
  return entries;
}

/** The days from the first email to now (UTC), for the event-day partitions. */
function daysSince(first: Date): string[] {
  const days: string[] = [];
  for (let at = new Date(first.toISOString().slice(0, 10)); at.getTime() <= Date.now(); at = new Date(at.getTime() + 86_400_000)) {
    days.push(at.toISOString().slice(0, 10));
  }
  return days;
}

/** The URL of the List-Unsubscribe header (`<https://…>, <mailto:…>`). */
function unsubscribeUrlOf(mail: CapturedEmail): string | undefined {
  return /<(https?:\/\/[^>]+)>/.exec(mail.headers['List-Unsubscribe'] ?? '')?.[1];
}

/** Why the lead could not lawfully get marketing email at `sentAt`, if it could not. */
function consentProblem(partition: Array<Record<string, unknown>>, sentAt: string): string | undefined {
  const leadItem = partition.find((item) => item.sk === 'LEAD') as { consentRecords?: Array<{ at: string }> } | undefined;
  // Erased since (test/integration/gdpr.test.ts): the proof went with the person, the headers were checked above.
  if (!leadItem) return undefined;
  const history = partition.filter((item) => String(item.sk).startsWith('HISTORY#')) as unknown as Entry[];
  const consentedAt = (leadItem.consentRecords ?? [])
    .map((record) => record.at)
    .filter((at) => at <= sentAt)
    .sort()
    .at(-1);
  if (!consentedAt) return 'no consent was recorded before it';
  const before = (entry: Entry) => entry.at < sentAt;
  if (history.some((entry) => entry.type === 'unsubscribed' && entry.at > consentedAt && before(entry)))
    return 'the lead had unsubscribed since its consent';
  if (history.some((entry) => entry.type === 'email_bounced' && entry.data.bounceType === 'Permanent' && before(entry)))
    return 'the address had bounced';
  if (history.some((entry) => entry.type === 'email_complained' && before(entry))) return 'the address had complained';
  return undefined;
}

describe('the mail audit of the whole suite', () => {
  it('finds one-click unsubscribe on every marketing email, and no marketing email to a lead without consent or a suppressed address', async () => {
    const mails = await readMailbox(inject('mailboxUrl'));
    expect(mails.length).toBeGreaterThan(0);
    const sent = await entriesWritten('email_sent', daysSince(mails[0]!.date));
    const entryOf = new Map(sent.map((entry) => [String(entry.data.messageId), entry]));

    const problems: string[] = [];
    let marketing = 0;
    for (const mail of mails) {
      const entry = entryOf.get(mail.messageId);
      const url = unsubscribeUrlOf(mail);
      if (!entry) {
        // Sent around the platform's senders (the SES emulator's own tests): never with unsubscribe headers. Or to a lead
        // erased since (its `lead` message tag names a lead that is gone): the proof of its consent went with the person.
        if (url && !(await erasedSince(mail.messageId)))
          problems.push(`${mail.messageId} "${mail.subject}": unsubscribe headers but no email_sent entry`);
        continue;
      }
      if (entry.data.marketing !== true) continue;
      marketing++;
      const name = `${mail.messageId} (${String(entry.data.template)})`;
      if (!url) problems.push(`${name}: no https List-Unsubscribe URL`);
      if (mail.headers['List-Unsubscribe-Post'] !== 'List-Unsubscribe=One-Click') problems.push(`${name}: no List-Unsubscribe-Post`);
      if (url && !mail.html?.includes(url)) problems.push(`${name}: the unsubscribe link is not in the HTML body`);
      if (url && !mail.text?.includes(url)) problems.push(`${name}: the unsubscribe link is not in the text body`);
      const problem = consentProblem(await leadPartition(entry.leadId), entry.at);
      if (problem) problems.push(`${name}: ${problem}`);
    }
    console.info(`mail audit: ${mails.length} emails, ${marketing} marketing`);
    expect(problems).toEqual([]);
    expect(marketing).toBeGreaterThan(0);
  }, 300_000);
});

/** Whether the message's lead (its `lead` message tag, as the local cloud's SES events keep it) has been erased since. */
async function erasedSince(messageId: string): Promise<boolean> {
  const { messages } = (await (await fetch(`${inject('controlUrl')}/ses/messages`)).json()) as {
    messages: Array<{ messageId: string; tags: Record<string, string[]> }>;
  };
  const leadId = messages.find((message) => message.messageId === messageId)?.tags.lead?.[0];
  return leadId !== undefined && (await admin('GET', `/v1/leads/${leadId}`)).status === 404;
}
