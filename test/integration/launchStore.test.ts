import { buildLaunchStore } from '../../src/adapters/launchStore';
import { formGroup } from '../../src/domain/launchGroup';
import type { LaunchRequest } from '../../src/domain/launchRequest';
import { useTablePerTest } from '../support/dynamo';
import { NEW, restartDecision, restartRequest } from '../support/storeFixtures';

const dynamo = useTablePerTest('launches');

const request = restartRequest;
const decision = restartDecision;
const launched = {
  status: 'launched' as const,
  taskArns: [NEW],
  events: [{ detailType: 'Task Restarted', detail: {} }],
};

describe('launch bookkeeping in DynamoDB (dynalite)', () => {
  it('takes one decision per task: a second put finds the first', async () => {
    const store = buildLaunchStore(dynamo.db, dynamo.table, 30);
    expect(await store.putDecision('aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', decision)).toEqual({ created: true });
    const again = await store.putDecision('aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', {
      ...decision,
      action: 'give-up',
    });
    expect(again).toMatchObject({ created: false, existing: { action: 'restart', done: false } });
  });

  it('lets a final decision replace a provisional one, once, and nothing replace a final one', async () => {
    const store = buildLaunchStore(dynamo.db, dynamo.table, 30);
    const taskId = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
    const notYet = { ...decision, action: 'not-restartable', provisional: true, done: true };
    expect(await store.putDecision(taskId, notYet)).toEqual({ created: true });
    // A second provisional verdict does not overwrite the first.
    expect(await store.putDecision(taskId, { ...notYet, decidedAt: '2024-05-14T09:20:00Z' })).toMatchObject({
      created: false,
      existing: { decidedAt: '2024-05-14T09:13:00Z' },
    });
    expect(await store.putDecision(taskId, decision)).toEqual({ created: true });
    expect(await store.getDecision(taskId)).toMatchObject({ action: 'restart', done: false });
    expect((await store.getDecision(taskId))?.provisional).toBeUndefined();
    expect(await store.putDecision(taskId, { ...decision, action: 'give-up' })).toMatchObject({
      created: false,
      existing: { action: 'restart' },
    });
    expect(await store.putDecision(taskId, notYet)).toMatchObject({ created: false });
  });

  it('reads every attempt of a launch, following its capacity retries, and the launch the API accepted', async () => {
    const store = buildLaunchStore(dynamo.db, dynamo.table, 30);
    const runNow: LaunchRequest = { ...request, requestId: 't-job-1', lineage: undefined };
    expect(await store.getAttempts('t-job-1')).toEqual([]);
    await store.recordOutcome(runNow, {
      status: 'requeued',
      taskArns: [],
      failures: [{ reason: 'RESOURCE:MEMORY' }],
      events: [],
      requeue: { request: { ...runNow, capacityRetries: 1 }, delaySeconds: 10 },
    });
    await store.recordOutcome(
      { ...runNow, capacityRetries: 1 },
      { status: 'launched', taskArns: [NEW], events: [] },
    );
    expect(await store.getAttempts('t-job-1')).toMatchObject([
      { status: 'requeued', requeued: true, taskArns: [], failures: [{ reason: 'RESOURCE:MEMORY' }] },
      { status: 'launched', requeued: false, taskArns: [NEW] },
    ]);

    const accepted = {
      requestId: 't-job-1',
      reason: 'run-now' as const,
      requestedBy: 'arn:aws:iam::111122223333:user/alice',
      acceptedAt: '2025-03-01T10:00:00.000Z',
      cluster: 'batch',
      taskDefinition: 'worker',
      count: 1,
      bodyHash: 'hash-of-the-body',
    };
    expect(await store.acceptLaunch(accepted)).toEqual({ created: true });
    // A second accept (a retried POST) keeps the first and answers it, hash included, to compare.
    expect(await store.acceptLaunch({ ...accepted, count: 2, bodyHash: 'hash-of-another-body' })).toEqual({
      created: false,
      existing: accepted,
    });
    expect(await store.getAcceptedLaunch('t-job-1')).toEqual(accepted);
  });

  it('records a launch once, with its LAUNCH item and the replaced task pointing at it', async () => {
    const store = buildLaunchStore(dynamo.db, dynamo.table, 30);
    await store.putDecision('aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', decision);
    const first = await store.recordOutcome(request, launched);
    const replay = await store.recordOutcome(request, { ...launched, taskArns: ['arn:other'] });
    expect(first).toMatchObject({
      first: true,
      outcome: { status: 'launched', taskArns: [NEW], done: false },
    });
    expect(replay).toMatchObject({ first: false, outcome: { taskArns: [NEW] } });
    const launch = await store.getLaunch('bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb');
    expect(launch).toMatchObject({
      taskArn: NEW,
      requestId: request.requestId,
      reason: 'restart',
      lineage: request.lineage,
    });
    const { Item } = await dynamo.db.send(
      new (await import('@aws-sdk/lib-dynamodb')).GetCommand({
        TableName: dynamo.table,
        Key: { pk: 'TASK#aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', sk: 'DECISION' },
      }),
    );
    expect(Item?.replacementTaskArns).toEqual([NEW]);
  });

  it('marks follow-ups done so a redelivery knows there is nothing left to do', async () => {
    const store = buildLaunchStore(dynamo.db, dynamo.table, 30);
    await store.recordOutcome(request, launched);
    expect(await store.getOutcome(request)).toMatchObject({ done: false });
    await store.markOutcomeDone(request);
    expect(await store.getOutcome(request)).toMatchObject({ done: true });
    expect(await store.getOutcome({ ...request, capacityRetries: 1 })).toBeUndefined();
  });

  it('records a launch that replaces no decided task (a scheduled run) without failing', async () => {
    const store = buildLaunchStore(dynamo.db, dynamo.table, 30);
    const scheduled = { ...request, requestId: 's-nightly-1', reason: 'schedule' as const };
    expect(await store.recordOutcome(scheduled, launched)).toMatchObject({ first: true });
  });

  it('rolls the whole record back when the marker already exists (no half-written launch)', async () => {
    const store = buildLaunchStore(dynamo.db, dynamo.table, 30);
    await store.recordOutcome(
      { ...request, lineage: undefined },
      { status: 'failed', taskArns: [], events: [] },
    );
    const replay = await store.recordOutcome({ ...request, lineage: undefined }, launched);
    expect(replay).toMatchObject({ first: false, outcome: { status: 'failed' } });
    expect(await store.getLaunch('bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb')).toBeUndefined();
  });
});

describe('a stage that does not store environment override values', () => {
  it('keeps launches, decisions and retries with variable names only', async () => {
    const store = buildLaunchStore(dynamo.db, dynamo.table, 30, Date.now, { storeOverrideValues: false });
    const withSecret: LaunchRequest = {
      ...request,
      runTask: {
        ...request.runTask,
        overrides: {
          containerOverrides: [{ name: 'worker', environment: [{ name: 'DB_PASSWORD', value: 'hunter2' }] }],
        },
      },
    };
    await store.putDecision('aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', { ...decision, request: withSecret });
    const recorded = await store.recordOutcome(withSecret, {
      ...launched,
      requeue: { request: { ...withSecret, capacityRetries: 1 }, delaySeconds: 5 },
    });
    // The delivery that recorded it follows up with the request as it is.
    expect(JSON.stringify(recorded.outcome)).toContain('hunter2');
    const items = await dynamo.db.send(
      new (await import('@aws-sdk/lib-dynamodb')).ScanCommand({ TableName: dynamo.table }),
    );
    expect(JSON.stringify(items.Items)).not.toContain('hunter2');
    expect((await store.getLaunch('bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb'))?.runTask.overrides).toEqual({
      containerOverrides: [{ name: 'worker', environment: [{ name: 'DB_PASSWORD' }] }],
    });
  });
});

describe('launch groups in DynamoDB (dynalite)', () => {
  /** Restart requests that differ only in lineage, each with a stored decision of its failed task. */
  const restartsOf = (ids: string[]): LaunchRequest[] =>
    ids.map((id) => ({
      ...request,
      requestId: `r-${id}`,
      lineage: request.lineage && {
        ...request.lineage,
        previousTaskArn: `arn:aws:ecs:us-east-1:111122223333:task/batch/${id}`,
      },
    }));
  const ids = ['a', 'b', 'c'].map((c) => c.repeat(32));

  it('claims a group once: a second group with any claimed member is refused, naming what each such member has', async () => {
    const store = buildLaunchStore(dynamo.db, dynamo.table, 30);
    const [a, b, c] = restartsOf(ids) as [LaunchRequest, LaunchRequest, LaunchRequest];
    const first = formGroup([a, b]);
    expect(await store.claimGroup(first)).toEqual({ claimed: true });
    expect(await store.getOutcome(a)).toMatchObject({ status: 'claimed', groupId: first.groupId });
    expect(await store.getGroup(first.groupId)).toEqual(first);
    const regrouped = await store.claimGroup(formGroup([b, c]));
    expect(regrouped.claimed).toBe(false);
    if (regrouped.claimed) return;
    expect([...regrouped.taken]).toEqual([
      [`${b.requestId}#0`, expect.objectContaining({ groupId: first.groupId })],
    ]);
    // Nothing of the refused group was written: c is free to be claimed alone.
    expect(await store.getOutcome(c)).toBeUndefined();
    expect(await store.claimGroup(formGroup([c]))).toEqual({ claimed: true });
    // The same members again: the same group, refused as already claimed.
    const again = await store.claimGroup(formGroup([a, b]));
    expect(again.claimed).toBe(false);
  });

  it('records every member of a group in one transaction, once; a replaced task without a decision is left out', async () => {
    const store = buildLaunchStore(dynamo.db, dynamo.table, 30);
    const members = restartsOf(ids.slice(0, 2));
    const [a, b] = members as [LaunchRequest, LaunchRequest];
    // Only a's failed task has a decision to point at its replacement.
    await store.putDecision(ids[0] as string, decision);
    const group = formGroup(members);
    await store.claimGroup(group);
    const arns = ['1', '2'].map((n) => `arn:aws:ecs:us-east-1:111122223333:task/batch/${n.repeat(32)}`);
    const outcomes = group.members.map((_, i) => ({ ...launched, taskArns: [arns[i] as string] }));
    const recorded = await store.recordGroup(group, outcomes);
    expect(recorded.map((r) => r.first)).toEqual([true, true]);
    expect(await store.getOutcome(a)).toMatchObject({ status: 'launched', done: false });
    expect(await store.getOutcome(b)).toMatchObject({ status: 'launched', done: false });
    const aTask = (await store.getOutcome(a)) as { taskArns: string[] };
    expect((await store.getLaunch(aTask.taskArns[0]?.split('/').pop() ?? ''))?.requestId).toBe(a.requestId);
    expect((await store.getDecision(ids[0] as string))?.replacementTaskArns).toEqual(aTask.taskArns);
    // A second delivery's record finds the first: nothing is written twice.
    const replay = await store.recordGroup(group, outcomes);
    expect(replay.map((r) => r.first)).toEqual([false, false]);
    expect(replay.map((r) => r.outcome.taskArns)).toEqual(recorded.map((r) => r.outcome.taskArns));
    // A claim is not an attempt: GET /launches/{id} shows it PENDING until its record.
    expect(await store.getAttempts(a.requestId)).toHaveLength(1);
  });

  it('releases a claim that never reached ECS, and nothing once a member is recorded', async () => {
    const store = buildLaunchStore(dynamo.db, dynamo.table, 30);
    const [a, b] = restartsOf(ids.slice(0, 2)) as [LaunchRequest, LaunchRequest];
    const group = formGroup([a, b]);
    await store.claimGroup(group);
    expect(await store.releaseGroup(group)).toBe(true);
    expect(await store.getOutcome(a)).toBeUndefined();
    expect(await store.getGroup(group.groupId)).toBeUndefined();
    // Claimed again and recorded: a release now removes nothing.
    await store.claimGroup(group);
    await store.recordGroup(
      group,
      group.members.map(() => ({ ...launched, taskArns: [] })),
    );
    expect(await store.releaseGroup(group)).toBe(false);
    expect(await store.getOutcome(b)).toMatchObject({ status: 'launched' });
  });
});
