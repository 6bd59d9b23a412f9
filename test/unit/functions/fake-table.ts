import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import type { AwsClientStub } from 'aws-sdk-client-mock';

type Item = Record<string, unknown>;
type Values = Record<string, unknown> | undefined;
type Names = Record<string, string> | undefined;

/** What a test does in place of one command: `run` performs it on the table (or is never called). */
export type Behaviour = (run: () => Promise<unknown>) => Promise<unknown>;

/**
 * An in-memory table behind the mocked document client, for handler tests that must see state
 * carried from one invocation to the next (a retried step after a crash). It evaluates the small
 * expression grammar the repositories use (attribute_(not_)exists, `=`, AND/OR; SET and ADD;
 * queries by `pk = :pk` with an optional filter) and throws on anything else rather than guess. `interrupt` stands in for one command: a crash
 * (a promise that never settles), a throttle, or a write that lands and still times out.
 */
export class FakeTable {
  readonly items = new Map<string, Item>();
  private readonly interruptions: Array<{ command: string; matches: (input: Item) => boolean; behaviour: Behaviour }> = [];

  put(item: Item): void {
    this.items.set(keyOf(item), structuredClone(item));
  }

  get(key: Item): Item | undefined {
    return this.items.get(keyOf(key));
  }

  where(predicate: (item: Item) => boolean): Item[] {
    return [...this.items.values()].filter(predicate);
  }

  /** The next `command` whose input matches runs `behaviour` instead. */
  interrupt(
    command: 'GetCommand' | 'UpdateCommand' | 'TransactWriteCommand',
    behaviour: Behaviour,
    matches: (input: Item) => boolean = () => true,
  ) {
    this.interruptions.push({ command, matches, behaviour });
  }

  install(stub: AwsClientStub<DynamoDBDocumentClient>): void {
    const wire = (command: string, run: (input: Item) => unknown) => async (input: Item) => {
      const index = this.interruptions.findIndex((entry) => entry.command === command && entry.matches(input));
      if (index < 0) return run(input);
      const { behaviour } = this.interruptions.splice(index, 1)[0]!;
      return behaviour(() => Promise.resolve(run(input)));
    };
    stub.on(GetCommand).callsFake(wire('GetCommand', (input) => ({ Item: structuredClone(this.get(input.Key as Item)) })));
    stub.on(PutCommand).callsFake(
      wire('PutCommand', (input) => {
        // The condition is about the item the put replaces, if any.
        this.check(
          this.get(input.Item as Item),
          input.ConditionExpression as string | undefined,
          undefined,
          input.ExpressionAttributeValues as Values,
        );
        this.put(input.Item as Item);
        return {};
      }),
    );
    stub.on(UpdateCommand).callsFake(wire('UpdateCommand', (input) => this.update(input, true)));
    stub.on(QueryCommand).callsFake((input: Item) => {
      if (input.KeyConditionExpression !== 'pk = :pk' || input.IndexName !== undefined) {
        throw new Error(`the fake table cannot query "${String(input.KeyConditionExpression)}"`);
      }
      const values = input.ExpressionAttributeValues as Values;
      const names = input.ExpressionAttributeNames as Names;
      const found = this.where((item) => item.pk === values?.[':pk'])
        .filter((item) => this.holds(item, input.FilterExpression as string | undefined, names, values))
        .sort((a, b) => String(a.sk).localeCompare(String(b.sk)));
      return Promise.resolve({ Items: structuredClone(found) });
    });
    stub.on(TransactWriteCommand).callsFake(
      wire('TransactWriteCommand', (input) => {
        const actions = input.TransactItems as Array<{ Put?: Item; Update?: Item; Delete?: Item; ConditionCheck?: Item }>;
        const reasons = actions.map((action) => {
          const request = action.Put ?? action.Update ?? action.Delete ?? action.ConditionCheck;
          if (!request) throw new Error(`the fake table has no ${Object.keys(action).join()} in transactions`);
          const target = this.get((action.Put ? request.Item : request.Key) as Item);
          const ok = this.holds(
            target,
            request.ConditionExpression as string | undefined,
            request.ExpressionAttributeNames as Names,
            request.ExpressionAttributeValues as Values,
          );
          return { Code: ok ? 'None' : 'ConditionalCheckFailed' };
        });
        if (reasons.some((reason) => reason.Code !== 'None')) {
          throw new TransactionCanceledException({ message: 'Transaction cancelled', $metadata: {}, CancellationReasons: reasons });
        }
        for (const action of actions) {
          if (action.Put) this.put(action.Put.Item as Item);
          else if (action.Update) this.update(action.Update, false);
          else if (action.Delete) this.items.delete(keyOf(action.Delete.Key as Item));
        }
        return {};
      }),
    );
  }

  private update(input: Item, checked: boolean): { Attributes?: Item } {
    const key = input.Key as Item;
    const names = input.ExpressionAttributeNames as Names;
    const values = input.ExpressionAttributeValues as Values;
    const current = this.get(key);
    if (checked) this.check(current, input.ConditionExpression as string | undefined, names, values);
    const next: Item = { ...(current ?? key) };
    const changed: Item = {};
    const clauses = String(input.UpdateExpression).split(/\b(?=SET |ADD )/);
    for (const clause of clauses) {
      const [verb, ...rest] = clause.trim().split(' ');
      for (const part of rest.join(' ').split(',')) {
        const assignment = verb === 'SET' ? /^(\S+) = (:\w+)$/.exec(part.trim()) : /^(\S+) (:\w+)$/.exec(part.trim());
        if (!assignment || (verb !== 'SET' && verb !== 'ADD')) throw new Error(`the fake table cannot apply "${clause}"`);
        const name = resolve(assignment[1]!, names);
        const value = values?.[assignment[2]!];
        next[name] = verb === 'SET' ? value : Number(next[name] ?? 0) + Number(value);
        changed[name] = next[name];
      }
    }
    this.put(next);
    return { Attributes: input.ReturnValues === 'UPDATED_NEW' ? changed : undefined };
  }

  private check(item: Item | undefined, condition: string | undefined, names: Names, values: Values): void {
    if (!this.holds(item, condition, names, values)) {
      throw new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });
    }
  }

  private holds(item: Item | undefined, condition: string | undefined, names: Names, values: Values): boolean {
    if (!condition) return true;
    return condition.split(' OR ').some((conjunction) =>
      conjunction.split(' AND ').every((term) => {
        const exists = /^attribute_(not_)?exists\((\S+)\)$/.exec(term.trim());
        if (exists) return (item?.[resolve(exists[2]!, names)] === undefined) === Boolean(exists[1]);
        const equals = /^(\S+) = (:\w+)$/.exec(term.trim());
        if (equals) return item !== undefined && item[resolve(equals[1]!, names)] === values?.[equals[2]!];
        throw new Error(`the fake table cannot evaluate "${term}"`);
      }),
    );
  }
}

function resolve(name: string, names: Names): string {
  return name.startsWith('#') ? (names?.[name] ?? name) : name;
}

function keyOf(item: Item): string {
  return `${String(item.pk)}|${String(item.sk)}`;
}
