import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

const dynamo = mockClient(DynamoDBDocumentClient);

const deployedTeam = {
  owners: [{ name: 'Sam Rivera', email: 'sam.rivera@example.com' }],
  manager: { name: 'Morgan Lee', email: 'morgan.lee@example.com' },
};
const storedTeam = {
  owners: [
    { name: 'Ada', email: 'ada@example.com' },
    { name: 'Grace', email: 'grace@example.com' },
  ],
  manager: { name: 'Linus', email: 'linus@example.com' },
  playbooks: { qualified: ['Call the champion first.'] },
};
const CONFIG_KEY = { pk: 'CONFIG#lifecycle', sk: 'CURRENT' };

function bundle(config: unknown) {
  vi.stubGlobal('LEADFLOW_DEPLOYED_LIFECYCLE_CONFIG', Buffer.from(JSON.stringify(config)).toString('base64'));
}

function storedItem(item: Record<string, unknown> | undefined) {
  dynamo.on(GetCommand, { Key: CONFIG_KEY }).resolves({ Item: item && { ...CONFIG_KEY, ...item } });
}

const edit = { updatedAt: '2026-03-01T00:00:00.000Z', updatedBy: 'api-key:ops' };

/** A fresh container: the module's caches start empty. */
async function coldStart() {
  vi.resetModules();
  const loader = await import('../../../functions/shared/lifecycle-config');
  const { logger } = await import('../../../functions/shared/observability');
  return { ...loader, logger };
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(new Date('2026-03-01T00:00:00Z'));
  bundle(deployedTeam);
});

afterEach(() => {
  dynamo.reset();
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

describe('loadLifecycleConfig', () => {
  it("answers the deployment's configuration while nothing is stored, with the schema's defaults filled in", async () => {
    storedItem(undefined);
    const { loadLifecycleConfig } = await coldStart();
    const config = await loadLifecycleConfig();
    expect(config.owners).toEqual(deployedTeam.owners);
    expect(config.followUps.qualifiedRemindAfter).toBe('P1D');
    expect(dynamo.commandCalls(GetCommand)[0]!.args[0].input).toMatchObject({ Key: CONFIG_KEY, TableName: 'leadflow-test' });
  });

  it('answers the stored configuration over the deployed one', async () => {
    storedItem({ version: 2, config: storedTeam, ...edit });
    const { loadLifecycleConfig } = await coldStart();
    const config = await loadLifecycleConfig();
    expect(config.owners.map((owner) => owner.email)).toEqual(['ada@example.com', 'grace@example.com']);
    expect(config.playbooks.qualified).toEqual(['Call the champion first.']);
  });

  it('answers the deployed configuration after a DELETE (the item stays, without a document)', async () => {
    storedItem({ version: 3, ...edit });
    const { loadLifecycleConfig } = await coldStart();
    expect((await loadLifecycleConfig()).owners).toEqual(deployedTeam.owners);
  });

  it('falls back to the deployed configuration when the stored one fails the schema, and logs the fields (not the document)', async () => {
    storedItem({ version: 4, config: { ...storedTeam, owners: [], followUps: { qualifiedRemindAfter: 'soon' } }, ...edit });
    const { loadLifecycleConfig, logger } = await coldStart();
    const errors = vi.spyOn(logger, 'error').mockImplementation(() => undefined);
    expect((await loadLifecycleConfig()).owners).toEqual(deployedTeam.owners);
    expect(errors).toHaveBeenCalledTimes(1);
    const [message, details] = errors.mock.calls[0]! as [string, { version: number; fields: string[] }];
    expect(message).toContain('deployed one is in effect');
    expect(details.version).toBe(4);
    expect(details.fields.join(' ')).toMatch(/owners: .*followUps\.qualifiedRemindAfter: /);
    expect(JSON.stringify(errors.mock.calls)).not.toContain('ada@example.com');
  });

  it('falls back to the deployed configuration when the item itself is malformed (edited by hand)', async () => {
    storedItem({ config: storedTeam });
    const { loadLifecycleConfig, logger } = await coldStart();
    vi.spyOn(logger, 'error').mockImplementation(() => undefined);
    expect((await loadLifecycleConfig()).owners).toEqual(deployedTeam.owners);
  });

  it('reads the table at most once per 30 s, and sees an edit after that', async () => {
    storedItem(undefined);
    const { loadLifecycleConfig, LIFECYCLE_CONFIG_CACHE_MS } = await coldStart();
    expect(LIFECYCLE_CONFIG_CACHE_MS).toBe(30_000);
    expect((await loadLifecycleConfig()).owners).toEqual(deployedTeam.owners);

    storedItem({ version: 1, config: storedTeam, ...edit });
    vi.setSystemTime(new Date('2026-03-01T00:00:29.999Z'));
    expect((await loadLifecycleConfig()).owners).toEqual(deployedTeam.owners);
    expect(dynamo.commandCalls(GetCommand)).toHaveLength(1);

    vi.setSystemTime(new Date('2026-03-01T00:00:30.000Z'));
    expect((await loadLifecycleConfig()).owners).toEqual(storedTeam.owners);
    expect(dynamo.commandCalls(GetCommand)).toHaveLength(2);
  });

  it('keeps the last configuration read when the table cannot be read; with none read yet, the error reaches the step', async () => {
    const throttled = Object.assign(new Error('throttled'), { name: 'ThrottlingException' });
    dynamo.on(GetCommand).rejects(throttled);
    const cold = await coldStart();
    await expect(cold.loadLifecycleConfig()).rejects.toThrow('throttled');

    storedItem({ version: 1, config: storedTeam, ...edit });
    const warm = await coldStart();
    expect((await warm.loadLifecycleConfig()).owners).toEqual(storedTeam.owners);
    dynamo.on(GetCommand).rejects(throttled);
    vi.spyOn(warm.logger, 'warn').mockImplementation(() => undefined);
    vi.setSystemTime(new Date('2026-03-01T00:01:00Z'));
    expect((await warm.loadLifecycleConfig()).owners).toEqual(storedTeam.owners);
  });

  it('fails at its first use in a bundle built without the deployed configuration', async () => {
    vi.unstubAllGlobals();
    storedItem({ version: 1, config: storedTeam, ...edit });
    const { loadLifecycleConfig } = await coldStart();
    await expect(loadLifecycleConfig()).rejects.toThrow(/built without the deployed lifecycle configuration/);
  });
});
