import { describe, expect, it } from 'vitest';
import {
  InvalidSesEventError,
  campaignCounterOf,
  engagementOf,
  historyDataOf,
  historyTypeOf,
  parseSesEvent,
  sesDetailTypes,
  suppressionReasonOf,
} from '../../core/ses-events';
import { sesExamples, withTags } from '../fixtures/ses-events';

const MESSAGE = 'EXAMPLE7c191be45-e9aedb9a-02f9-4d12-a87d-dd0099a07f8a-000000';
const campaignTags = { lead: 'ld_AAAAAAAAAAAAAAAAAAAAAA', template: 'welcome', campaign: 'cmp_spring', step: '2' };

describe('parseSesEvent (AWS documented examples, as EventBridge delivers them)', () => {
  it.each(Object.entries(sesExamples))('reads the %s example: its kind, message and detail-type', (_name, example) => {
    const event = parseSesEvent(example);
    expect(event.messageId).toBe(MESSAGE);
    expect(sesDetailTypes[example.detail.eventType as keyof typeof sesDetailTypes]).toBe(example['detail-type']);
    expect(event.recipients).toEqual(['recipient@example.com']);
    // Untagged mail (not sent by leadflow) names no lead.
    expect(event.leadId).toBeUndefined();
  });

  it('reads the lead, campaign and step leadflow tagged the message with', () => {
    const event = parseSesEvent(withTags(sesExamples.delivery, campaignTags));
    expect(event).toMatchObject({ kind: 'delivered', leadId: campaignTags.lead, campaignId: 'cmp_spring', step: 2, toTeam: false });
    expect(event.at).toBe('2016-10-19T23:20:52.240Z');
    expect(event.sentAt).toBe('2016-10-19T23:20:52.240Z');
  });

  it('tells mail to the team from mail to the prospect', () => {
    expect(parseSesEvent(withTags(sesExamples.delivery, { lead: 'ld_x', recipient: 'team' })).toTeam).toBe(true);
  });

  it('reads a permanent bounce as a hard bounce that suppresses, and a transient one as not', () => {
    const hard = parseSesEvent(sesExamples.bounce);
    expect(hard).toMatchObject({ kind: 'bounced', bounceType: 'Permanent', at: '2017-08-05T00:41:02.669Z' });
    expect(suppressionReasonOf(hard)).toBe('hard_bounce');
    const soft = structuredClone(sesExamples.bounce);
    soft.detail.bounce.bounceType = 'Transient';
    expect(suppressionReasonOf(parseSesEvent(soft))).toBeUndefined();
  });

  it('reads a complaint as suppressing its complaining recipients', () => {
    const event = parseSesEvent(sesExamples.complaint);
    expect(event.kind).toBe('complained');
    expect(suppressionReasonOf(event)).toBe('complaint');
  });

  it('refuses what is not an SES event, naming the fields', () => {
    expect(() => parseSesEvent({ source: 'aws.events', detail: {} })).toThrow(InvalidSesEventError);
    const noMessage = structuredClone(sesExamples.open) as unknown as { detail: { mail: Partial<{ messageId: string }> } };
    delete noMessage.detail.mail.messageId;
    expect(() => parseSesEvent(noMessage)).toThrow(/detail\.mail\.messageId/);
  });
});

describe('what an event does', () => {
  it('writes the history types the metrics aggregator folds, and none for a send', () => {
    expect(historyTypeOf('delivered')).toBe('email_delivered');
    expect(historyTypeOf('complained')).toBe('email_complained');
    expect(historyTypeOf('rejected')).toBe('email_rejected');
    expect(historyTypeOf('sent')).toBeUndefined();
  });

  it('counts outcomes in the campaign counters, but not sends (the sender counts those) or rejections', () => {
    expect(campaignCounterOf('opened')).toBe('opened');
    expect(campaignCounterOf('bounced')).toBe('bounced');
    expect(campaignCounterOf('sent')).toBeUndefined();
    expect(campaignCounterOf('rejected')).toBeUndefined();
  });

  it('makes opens and clicks engagement the scoring rules weigh, never dated in the future', () => {
    const now = new Date('2017-08-09T22:00:00.000Z');
    const open = engagementOf(parseSesEvent(withTags(sesExamples.open, campaignTags)), new Date('2018-01-01T00:00:00.000Z'));
    expect(open).toEqual({
      type: 'email_open',
      at: '2017-08-09T22:00:19.652Z',
      properties: { messageId: MESSAGE, campaignId: 'cmp_spring' },
    });
    expect(engagementOf(parseSesEvent(sesExamples.click), now)).toMatchObject({ type: 'email_click', at: now.toISOString() });
    expect(engagementOf(parseSesEvent(sesExamples.delivery), now)).toBeUndefined();
  });

  it('records the message, campaign, step and bounce type on the history entry, and nothing personal', () => {
    expect(historyDataOf(parseSesEvent(withTags(sesExamples.bounce, campaignTags)))).toEqual({
      messageId: MESSAGE,
      campaignId: 'cmp_spring',
      step: 2,
      bounceType: 'Permanent',
    });
  });
});
