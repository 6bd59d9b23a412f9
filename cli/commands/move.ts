import { type CommandGroup, numberOption, stringOption } from '../command';
import { UsageError } from '../errors';

export const move: CommandGroup = {
  name: 'move',
  summary: 'Move a lead to another stage.',
  command: {
    args: ['<leadId>', '<stage>'],
    summary: "Move a lead to another stage (a rep's move, recorded with who and why).",
    details: [
      'won needs --deal-value, objection needs --objection-type, lost and disqualified need --reason.',
      'Sent with an Idempotency-Key: a retried move has no second effect.',
    ],
    options: {
      reason: { type: 'string', value: 'TEXT', description: 'why (required for lost and disqualified)' },
      'deal-value': { type: 'string', value: 'N', description: "the won deal's value" },
      currency: { type: 'string', value: 'CUR', description: "the deal's ISO 4217 currency (default USD)" },
      'objection-type': { type: 'string', value: 'TYPE', description: 'price, features, timing, authority or other' },
      'objection-note': { type: 'string', value: 'TEXT', description: "the objection's note" },
    },
    async run(invocation) {
      const [leadId = '', stage] = invocation.positionals;
      const dealValue = numberOption(invocation, 'deal-value', { min: 0 });
      const objectionType = stringOption(invocation, 'objection-type');
      const objectionNote = stringOption(invocation, 'objection-note');
      if (objectionNote !== undefined && objectionType === undefined) throw new UsageError('--objection-note goes with --objection-type');
      const body = {
        stage,
        reason: stringOption(invocation, 'reason'),
        dealValue,
        currency: stringOption(invocation, 'currency'),
        objection: objectionType === undefined ? undefined : { type: objectionType, note: objectionNote },
      };
      const { json } = await invocation
        .api()
        .write<{ leadId: string; from: string; stage: string; at: string }>('POST', `/v1/leads/${encodeURIComponent(leadId)}/stage`, {
          body,
        });
      invocation.answer(json, () => `${json.leadId}: ${json.from} -> ${json.stage} at ${json.at}`);
    },
  },
};
