import { describe, expect, it } from 'vitest';
import { parseSesEvent, sesDetailTypes } from '../../core/ses-events';
import { LocalEventBus } from '../../local/event-bus';
import { LocalSesEvents, UnknownMessageError } from '../../local/ses-events';

/** The local cloud's SES events: AWS's format, through rules as the template declares them. */

const rule = (logicalId: string, configurationSet: string) => ({
  logicalId,
  eventPattern: {
    source: ['aws.ses'],
    'detail-type': Object.values(sesDetailTypes),
    detail: { mail: { tags: { 'ses:configuration-set': [configurationSet] } } },
  },
  targets: [{ functionLogicalId: 'ApplyEmailEvents', maxRetries: 185, deadLetterQueue: 'Failures' }],
});

function setup(options: { fail?: boolean } = {}) {
  const received: unknown[] = [];
  const bus = new LocalEventBus({
    rules: [rule('SesEvents', 'leadflow-set')],
    invoke: (_fn, event) => {
      if (options.fail) return Promise.reject(new Error('boom'));
      received.push(event);
      return Promise.resolve();
    },
    log: () => undefined,
  });
  const ses = new LocalSesEvents({
    destinations: [
      { logicalId: 'Destination', configurationSetName: 'leadflow-set', matchingEventTypes: ['send', 'delivery', 'bounce', 'open'] },
    ],
    publish: (event) => bus.put(event),
    log: () => undefined,
  });
  return { bus, ses, received };
}

const sendBody = (configurationSet: string) =>
  JSON.stringify({
    FromEmailAddress: 'leadflow@example.com',
    Destination: { ToAddresses: ['ada@example.com'] },
    ConfigurationSetName: configurationSet,
    EmailTags: [
      { Name: 'template', Value: 'thank-you' },
      { Name: 'lead', Value: 'ld_1' },
    ],
  });

describe('local SES events', () => {
  it('publishes Email Sent then Email Delivered for a send, in the format the handler reads, through the matching rule', async () => {
    const { ses, received } = setup();
    ses.recordSend(sendBody('leadflow-set'), 'msg-1');
    await ses.settle();
    expect(received.map((event) => (event as { 'detail-type': string })['detail-type'])).toEqual(['Email Sent', 'Email Delivered']);
    const delivered = parseSesEvent(received[1]);
    expect(delivered).toMatchObject({ kind: 'delivered', messageId: 'msg-1', leadId: 'ld_1', recipients: ['ada@example.com'] });
    expect(ses.message('msg-1')?.published).toEqual(['send', 'delivery']);
  });

  it('publishes nothing for mail of a configuration set without an EventBridge destination, or types it does not publish', async () => {
    const { ses, received } = setup();
    ses.recordSend(sendBody('other-set'), 'msg-2');
    await ses.settle();
    expect(received).toEqual([]);
    ses.recordSend(sendBody('leadflow-set'), 'msg-3');
    await ses.settle();
    expect(await ses.mark('msg-3', { type: 'complaint' })).toEqual({ detailType: 'Email Complaint Received', published: false });
  });

  it('publishes what a message is marked as: a hard bounce of its recipients', async () => {
    const { ses, received } = setup();
    ses.recordSend(sendBody('leadflow-set'), 'msg-4');
    await ses.settle();
    expect(await ses.mark('msg-4', { type: 'bounce', bounceType: 'Permanent' })).toEqual({ detailType: 'Email Bounced', published: true });
    expect(parseSesEvent(received.at(-1))).toMatchObject({ kind: 'bounced', bounceType: 'Permanent', recipients: ['ada@example.com'] });
    await expect(ses.mark('nope', { type: 'open' })).rejects.toThrow(UnknownMessageError);
  });

  it('dead-letters an event whose target fails every retry', async () => {
    const { bus } = setup({ fail: true });
    const result = await bus.put({
      source: 'aws.ses',
      'detail-type': 'Email Sent',
      detail: { mail: { tags: { 'ses:configuration-set': ['leadflow-set'] } } },
    });
    expect(result).toEqual({ delivered: 1, failed: 1 });
    expect(bus.deadLetters).toEqual([expect.objectContaining({ rule: 'SesEvents', queue: 'Failures', error: 'Error: boom' })]);
  }, 10_000);
});
