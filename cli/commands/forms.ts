import { type CommandGroup, stringOption } from '../command';
import { readJsonFile } from '../files';

export const forms: CommandGroup = {
  name: 'forms',
  summary: 'Create and read landing-page forms (admin).',
  subcommands: {
    create: {
      args: ['<formId>', '--file FILE'],
      summary: 'Create or replace a form from a JSON file (PUT /v1/forms/{formId}).',
      details: ['The file holds the form without its id: {"name", "allowedOrigins"?, "redirectUrl"?, "fieldMap"?, "signingSecret"?, ...}.'],
      options: { file: { type: 'string', value: 'FILE', description: "the form's JSON" } },
      async run(invocation) {
        const [formId = ''] = invocation.positionals;
        const form = readJsonFile(stringOption(invocation, 'file'), 'forms create');
        const { json } = await invocation
          .api()
          .write<{ formId: string; name: string; signed: boolean }>('PUT', `/v1/forms/${encodeURIComponent(formId)}`, { body: form });
        invocation.answer(json, () => `saved form ${json.formId} (${json.name}${json.signed ? ', signed submissions' : ''})`);
      },
    },
    show: {
      args: ['<formId>'],
      summary: 'Show a form (without its signing secret) and its spam counter.',
      async run(invocation) {
        const [formId = ''] = invocation.positionals;
        const { json } = await invocation.api().get(`/v1/forms/${encodeURIComponent(formId)}`);
        // A form is configuration: its JSON is the clearest way to read it.
        invocation.printJson(json);
      },
    },
  },
};
