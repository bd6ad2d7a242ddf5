import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { buildLaunchStore } from '../../src/adapters/launchStore';
import { buildGetTaskHistory, buildListTasks, buildRecordTransition } from '../../src/adapters/taskHistory';
import { toTransition } from '../../src/domain/lifecycle';
import { parseTaskStateChange, type TaskStateChangeEvent } from '../../src/domain/taskEvent';
import { InvalidPageTokenError } from '../../src/ports';
import { useTablePerTest } from '../support/dynamo';
import { fixture } from '../support/fixtures';

const dynamo = useTablePerTest('history');

const NOW = Date.parse('2024-05-14T10:00:00Z');
const record = () => buildRecordTransition(dynamo.db, dynamo.table, 30, () => NOW);
const transition = (e: TaskStateChangeEvent) => toTransition(parseTaskStateChange(e));

/** The life of one task: PROVISIONING(1), PENDING(2), RUNNING(3), STOPPED(6). */
function lifeOfOneTask() {
  return ['provisioning', 'pending', 'running', 'stopped-exit-1'].map((name) => transition(fixture(name)));
}

describe('task history in DynamoDB (dynalite)', () => {
  it('stores every transition in order and the newest state as the summary', async () => {
    for (const t of lifeOfOneTask()) await record()(t);
    const history = await buildGetTaskHistory(dynamo.db, dynamo.table)('0f3c2b1a9d8e4f7a8b6c5d4e3f2a1b0c');
    expect(history?.transitions.map((t) => [t.version, t.lastStatus])).toEqual([
      [1, 'PROVISIONING'],
      [2, 'PENDING'],
      [3, 'RUNNING'],
      [6, 'STOPPED'],
    ]);
    expect(history?.summary).toMatchObject({ version: 6, lastStatus: 'STOPPED', classification: 'failed' });
    expect(history?.summary).not.toHaveProperty('pk');
  });

  it('gives back every field it stored, as the transition had it', async () => {
    const stopped = transition(fixture('stopped-exit-1'));
    await record()(stopped);
    const history = await buildGetTaskHistory(dynamo.db, dynamo.table)(stopped.taskId);
    const asJson = JSON.parse(JSON.stringify(stopped));
    expect(history?.transitions).toEqual([asJson]);
    expect(history?.summary).toEqual(asJson);
    expect(history?.summary).toMatchObject({
      platformVersion: '1.4.0',
      pullStartedAt: '2024-05-14T09:10:12.005Z',
      executionStoppedAt: '2024-05-14T09:12:21.877Z',
      durations: { provisioningMs: 13_603, pullMs: 7_656, stoppingMs: 14_923 },
    });
    expect(history?.summary?.attachments?.[0]?.details).toHaveLength(5);
  });

  it('shows the capacity provider of items stored under the old name capacityProvider', async () => {
    // Items written before the transition took ECS's field name; they live until their TTL.
    const { capacityProviderName: _renamed, ...current } = transition(fixture('stopped-exit-1'));
    const old = { ...current, capacityProvider: 'FARGATE_SPOT' };
    const gsi = { gsi1pk: old.cluster, gsi1sk: `${old.eventTime}#${old.taskId}` };
    for (const [sk, kind] of [
      ['V#0000000006', 'transition'],
      ['SUMMARY', 'summary'],
    ]) {
      await dynamo.db.send(
        new PutCommand({
          TableName: dynamo.table,
          Item: { pk: `TASK#${old.taskId}`, sk, kind, ...old, ...gsi },
        }),
      );
    }
    const history = await buildGetTaskHistory(dynamo.db, dynamo.table)(old.taskId);
    const listed = await buildListTasks(dynamo.db, dynamo.table)({ cluster: old.cluster, limit: 10 });
    for (const shown of [history?.summary, history?.transitions[0], listed.tasks[0]]) {
      expect(shown?.capacityProviderName).toBe('FARGATE_SPOT');
      expect(shown).not.toHaveProperty('capacityProvider');
    }
  });

  it('ignores a duplicate delivery: same history, no second first-stop', async () => {
    const stopped = transition(fixture('stopped-exit-1'));
    const first = await record()(stopped);
    const again = await record()(stopped);
    expect(first).toEqual({ isNew: true, isNewest: true, firstStop: true });
    // The copy rewrites the same summary (so concurrent copies both count as newest) but is no new first stop.
    expect(again).toEqual({ isNew: false, isNewest: true, firstStop: false });
    const history = await buildGetTaskHistory(dynamo.db, dynamo.table)('0f3c2b1a9d8e4f7a8b6c5d4e3f2a1b0c');
    expect(history?.transitions).toHaveLength(1);
  });

  it('keeps the newest state when events arrive in reverse order, duplicated', async () => {
    const reversed = lifeOfOneTask().reverse();
    for (const t of [...reversed, ...reversed]) await record()(t);
    const history = await buildGetTaskHistory(dynamo.db, dynamo.table)('0f3c2b1a9d8e4f7a8b6c5d4e3f2a1b0c');
    expect(history?.summary).toMatchObject({ version: 6, lastStatus: 'STOPPED' });
    expect(history?.transitions.map((t) => t.version)).toEqual([1, 2, 3, 6]);
  });

  it('sets a TTL of the retention period on every item', async () => {
    await record()(transition(fixture('running')));
    const { Items } = await dynamo.db.send(
      new (await import('@aws-sdk/lib-dynamodb')).QueryCommand({
        TableName: dynamo.table,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': 'TASK#0f3c2b1a9d8e4f7a8b6c5d4e3f2a1b0c' },
      }),
    );
    expect(Items?.map((i) => i.expiresAt)).toEqual([NOW / 1000 + 30 * 86_400, NOW / 1000 + 30 * 86_400]);
  });

  it('shows a decision taken before the first state change of the task was stored', async () => {
    // The reactions run in their own function, beside the lifecycle log, so they can be first.
    const taskId = '0f3c2b1a9d8e4f7a8b6c5d4e3f2a1b0c';
    await buildLaunchStore(dynamo.db, dynamo.table, 30).putDecision(taskId, {
      taskArn: `arn:aws:ecs:us-east-1:111122223333:task/batch-cluster/${taskId}`,
      action: 'restart',
      decidedAt: '2024-05-14T09:12:30.000Z',
      events: [],
      done: false,
    });
    const history = await buildGetTaskHistory(dynamo.db, dynamo.table)(taskId);
    expect(history).toMatchObject({ transitions: [], decision: { action: 'restart' } });
    expect(history?.summary).toBeUndefined();
  });

  it('returns undefined for a task it never saw', async () => {
    expect(
      await buildGetTaskHistory(dynamo.db, dynamo.table)('ffffffffffffffffffffffffffffffff'),
    ).toBeUndefined();
  });

  describe('listing', () => {
    /** Three tasks in batch-cluster, stopped a minute apart, and one in another cluster. */
    async function seed() {
      const put = record();
      const make = (name: string, taskId: string, minute: number, cluster = 'batch-cluster') => {
        const e = fixture(name);
        e.detail.taskArn = `arn:aws:ecs:us-east-1:111122223333:task/${cluster}/${taskId}`;
        e.detail.clusterArn = `arn:aws:ecs:us-east-1:111122223333:cluster/${cluster}`;
        e.time = `2024-05-14T09:${String(minute).padStart(2, '0')}:00Z`;
        return put(transition(e));
      };
      await make('stopped-exit-1', 'a0000000000000000000000000000001', 10);
      await make('stopped-exit-0', 'a0000000000000000000000000000002', 11);
      await make('stopped-exit-1', 'a0000000000000000000000000000003', 12);
      await make('stopped-exit-1', 'b0000000000000000000000000000001', 13, 'other-cluster');
    }

    it('lists a cluster newest first, page by page', async () => {
      await seed();
      const list = buildListTasks(dynamo.db, dynamo.table);
      const first = await list({ cluster: 'batch-cluster', limit: 2 });
      expect(first.tasks.map((t) => t.taskId)).toEqual([
        'a0000000000000000000000000000003',
        'a0000000000000000000000000000002',
      ]);
      expect(first.nextToken).toEqual(expect.any(String));
      const second = await list({ cluster: 'batch-cluster', limit: 2, nextToken: first.nextToken });
      expect(second.tasks.map((t) => t.taskId)).toEqual(['a0000000000000000000000000000001']);
    });

    it('filters by classification and by time through the indexes', async () => {
      await seed();
      const list = buildListTasks(dynamo.db, dynamo.table);
      const failed = await list({ cluster: 'batch-cluster', classification: 'failed', limit: 10 });
      expect(failed.tasks.map((t) => t.taskId)).toEqual([
        'a0000000000000000000000000000003',
        'a0000000000000000000000000000001',
      ]);
      const recent = await list({ cluster: 'batch-cluster', since: '2024-05-14T09:11:00.000Z', limit: 10 });
      expect(recent.tasks.map((t) => t.taskId)).toEqual([
        'a0000000000000000000000000000003',
        'a0000000000000000000000000000002',
      ]);
    });

    it('rejects a page token it did not issue', async () => {
      await expect(
        buildListTasks(dynamo.db, dynamo.table)({ cluster: 'batch-cluster', limit: 1, nextToken: 'garbage' }),
      ).rejects.toThrow(InvalidPageTokenError);
    });
  });
});
