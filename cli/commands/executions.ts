import { type CommandGroup, numberOption, stringOption } from '../command';
import { UsageError } from '../errors';
import { table } from '../format';
import { ApiClient } from '../http';

interface Execution {
  stateMachine: string;
  name: string;
  status: string;
  startDate: string;
  stopDate?: string;
  currentState?: string;
}

export const executions: CommandGroup = {
  name: 'executions',
  summary: "The local cloud's workflow executions.",
  command: {
    summary: "The local cloud's workflow executions, newest first, and the state each running one is in.",
    details: [
      "This is the local cloud's control plane, not the API: it listens on a port of its own, chosen at start,",
      'which the banner of leadflow start shows ("Executions  http://127.0.0.1:PORT/executions") and which a',
      'running local cloud keeps in .leadflow/control-url (read when the API is on this machine).',
    ],
    options: {
      'control-url': {
        type: 'string',
        value: 'URL',
        description: "the control plane's URL (else LEADFLOW_CONTROL_URL, the profile's controlUrl, the running local cloud's)",
      },
      status: { type: 'string', value: 'STATUS', description: 'RUNNING, SUCCEEDED, FAILED, TIMED_OUT or ABORTED' },
      limit: { type: 'string', value: 'N', description: 'at most this many (default 50)' },
    },
    async run(invocation) {
      const limit = numberOption(invocation, 'limit', { integer: true, min: 1 }) ?? 50;
      const { controlUrl } = invocation.connection();
      if (controlUrl === undefined) {
        throw new UsageError(
          "executions needs the control plane's URL: --control-url, LEADFLOW_CONTROL_URL or a profile's controlUrl (leadflow start prints it; a running local cloud is found by itself)",
        );
      }
      const control = new ApiClient({ url: controlUrl, key: undefined, keySource: 'none', controlUrl }, invocation.context);
      const { json } = await control.get<{ executions: Execution[] }>('/executions', {
        query: { status: stringOption(invocation, 'status') },
      });
      if (invocation.json) {
        invocation.printJson(json);
        return;
      }
      const shown = json.executions.slice(0, limit);
      invocation.print(
        table(
          ['STATE MACHINE', 'NAME', 'STATUS', 'STATE', 'STARTED', 'STOPPED'],
          shown.map((execution) => [
            execution.stateMachine,
            execution.name,
            execution.status,
            execution.currentState,
            execution.startDate,
            execution.stopDate,
          ]),
        ),
      );
      if (json.executions.length > shown.length)
        invocation.context.stderr.write(`${json.executions.length - shown.length} more (--limit)\n`);
    },
  },
};
