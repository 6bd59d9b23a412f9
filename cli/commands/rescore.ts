import { stages } from '../../core/stages';
import type { RescoreJob } from '../../api/responses';
import type { CommandGroup } from '../command';
import { ApiError } from '../errors';
import { Progress } from '../format';

export const rescore: CommandGroup = {
  name: 'rescore',
  summary: 'Rescore every lead with the active scoring rules.',
  command: {
    summary: 'Rescore every lead with the active scoring rules, following the job to its end.',
    details: [
      'The job works through the leads stage by stage: the progress (on stderr) is the stages done and the leads read.',
      'Exit code 1 when the job fails.',
    ],
    options: { 'no-wait': { type: 'boolean', description: 'return once the job has started' } },
    async run(invocation) {
      const api = invocation.api();
      const { json: started } = await api.write<{ jobId: string; rulesVersion: string }>('POST', '/v1/scoring/rescore');
      if (invocation.values['no-wait'] === true) {
        invocation.answer(started, () => `rescore job ${started.jobId} started (rules ${started.rulesVersion})`);
        return;
      }
      const progress = new Progress(invocation.context.stderr);
      for (;;) {
        const { json: job } = await api.get<RescoreJob>(`/v1/scoring/rescore/${encodeURIComponent(started.jobId)}`);
        const stagesDone = job.status !== 'running' ? stages.length : job.currentStage ? stages.indexOf(job.currentStage) : 0;
        const label = `${job.processed} leads read, ${job.rescored} rescored${job.currentStage ? ` (stage ${job.currentStage})` : ''}`;
        progress.update(stagesDone, stages.length, label);
        if (job.status !== 'running') {
          progress.finish();
          if (job.status === 'failed') throw new ApiError(`rescore job ${job.jobId} failed after ${label}`);
          invocation.answer(job, () => `rescore job ${job.jobId} ${job.status}: ${label}, rules ${job.rulesVersion}`);
          return;
        }
        await invocation.context.sleep(invocation.context.pollIntervalMs);
      }
    },
  },
};
