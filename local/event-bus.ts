/**
 * The default EventBridge bus locally: an event put on it goes to the targets of every rule of the
 * template whose event pattern it matches, as EventBridge delivers it (asynchronously, retried).
 * A target that still fails after its retries has its event "dead-lettered": logged, and kept in
 * `deadLetters` for tests and the control plane (the deployed rule sends it to its SQS queue).
 *
 * Locally a target is invoked once and retried at most LOCAL_RETRIES times, half a second more
 * apart each time (enough for a cold start that timed out on a busy machine): EventBridge retries
 * for up to a day and Lambda retries an asynchronous invocation twice, which would only keep a
 * failing test waiting here.
 */
import type { EventRuleSpec } from './assembly';
import { parseFilterPatterns, matchesPattern, type Pattern } from './event-pattern';

const LOCAL_RETRIES = 3;

export interface DeadLetter {
  rule: string;
  target: string;
  queue: string | undefined;
  event: unknown;
  error: string;
}

export interface PutResult {
  /** Rule targets the event went to. */
  delivered: number;
  /** Of those, the ones that failed every attempt (dead-lettered). */
  failed: number;
}

export interface EventBusOptions {
  rules: EventRuleSpec[];
  invoke: (functionLogicalId: string, event: unknown) => Promise<unknown>;
  log: (line: string) => void;
}

export class LocalEventBus {
  readonly deadLetters: DeadLetter[] = [];
  private readonly rules: Array<EventRuleSpec & { pattern: Pattern }>;
  private readonly inFlight = new Set<Promise<unknown>>();
  private stopped = false;

  constructor(private readonly options: EventBusOptions) {
    this.rules = options.rules.map((rule) => {
      const [pattern = {}] = parseFilterPatterns([JSON.stringify(rule.eventPattern)]);
      return { ...rule, pattern };
    });
  }

  /** Puts one event on the bus; resolves once every matching target has run (or failed for good). */
  put(event: unknown): Promise<PutResult> {
    if (this.stopped) return Promise.resolve({ delivered: 0, failed: 0 });
    const deliveries = this.rules
      .filter((rule) => matchesPattern(rule.pattern, event))
      .flatMap((rule) => rule.targets.map((target) => this.deliver(rule.logicalId, target, event)));
    const all = Promise.all(deliveries).then((outcomes) => ({
      delivered: outcomes.length,
      failed: outcomes.filter((ok) => !ok).length,
    }));
    this.inFlight.add(all);
    void all.finally(() => this.inFlight.delete(all));
    return all;
  }

  /** Takes no more events and waits for the deliveries under way. */
  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all([...this.inFlight]);
  }

  private async deliver(rule: string, target: EventRuleSpec['targets'][number], event: unknown): Promise<boolean> {
    const attempts = 1 + Math.min(LOCAL_RETRIES, target.maxRetries);
    let lastError: unknown;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      try {
        await this.options.invoke(target.functionLogicalId, event);
        return true;
      } catch (error) {
        lastError = error;
        if (attempt < attempts) await new Promise((resolve) => setTimeout(resolve, 500 * attempt));
      }
    }
    const message = lastError instanceof Error ? `${lastError.name}: ${lastError.message}` : String(lastError);
    this.deadLetters.push({ rule, target: target.functionLogicalId, queue: target.deadLetterQueue, event, error: message });
    this.options.log(`event rule ${rule}: ${target.functionLogicalId} failed ${attempts} times, event dead-lettered (${message})`);
    return false;
  }
}
