import type { CommandGroup } from '../command';
import { LocalCloudExit } from '../errors';

export const start: CommandGroup = {
  name: 'start',
  summary: 'Run the local cloud',
  command: {
    args: ['[--port N]', '[--fresh]'],
    summary: 'Run the local cloud in the foreground (what npm start runs); Ctrl-C stops it.',
    details: [
      'It runs tsx local/main.ts from the package root, with this terminal.',
      'Every argument goes to the local cloud:',
      '  --port N   the API port (or LEADFLOW_PORT); default 3000',
      '  --fresh    start with empty data and a new admin key',
      'It prints its URLs, the admin key and the control plane URL (for leadflow executions) once up.',
      "The exit code is the local cloud's.",
    ],
    passThrough: true,
    async run({ positionals, context }) {
      const code = await context.runLocalCloud(positionals);
      if (code !== 0) throw new LocalCloudExit(code);
    },
  },
};
