import {
  claimRequestId,
  expiresAfter,
  expiresAt,
  expiresIn,
  keys,
  partitions,
  prefixes,
  recordOf,
  summaryIndexKeys,
  TTL_ATTRIBUTE,
  taskIndexes,
} from '../../src/adapters/table';

/**
 * The table's physical layout. A deployed stack's table holds items written with these keys: a store that
 * built them otherwise would no longer find them. These are literal on purpose: change none.
 */
const TASK = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';

describe('the single table layout', () => {
  it('keys every item as the deployed stacks wrote it', () => {
    expect(keys.transition(TASK, 7)).toEqual({ pk: `TASK#${TASK}`, sk: 'V#0000000007' });
    expect(keys.transition(TASK, 1_733_000_000)).toEqual({ pk: `TASK#${TASK}`, sk: 'V#1733000000' });
    expect(keys.summary(TASK)).toEqual({ pk: `TASK#${TASK}`, sk: 'SUMMARY' });
    expect(keys.launch(TASK)).toEqual({ pk: `TASK#${TASK}`, sk: 'LAUNCH' });
    expect(keys.decision(TASK)).toEqual({ pk: `TASK#${TASK}`, sk: 'DECISION' });
    expect(keys.requestOutcome('r-1#0')).toEqual({ pk: 'REQ#r-1#0', sk: 'REQ' });
    expect(keys.accepted('t-1')).toEqual({ pk: 'REQ#t-1', sk: 'ACCEPTED' });
    expect(keys.schedule('nightly')).toEqual({ pk: 'SCHEDULES', sk: 'nightly' });
    expect(keys.scheduleCount()).toEqual({ pk: 'SCHEDULE_COUNT', sk: 'SCHEDULE_COUNT' });
    expect(keys.scheduleRun('nightly', '2026-11-28T02:00:00.000Z', 's-1')).toEqual({
      pk: 'SCHEDULE#nightly',
      sk: 'RUN#2026-11-28T02:00:00.000Z#s-1',
    });
    expect(keys.launchLease('nightly')).toEqual({ pk: 'SCHEDULE#nightly', sk: 'LAUNCH_LEASE' });
    expect(keys.scheduleStats('nightly')).toEqual({ pk: 'SCHEDULE#nightly', sk: 'STATS' });
    expect(keys.bufferedRun('nightly')).toEqual({ pk: 'SCHEDULE#nightly', sk: 'BUFFERED' });
    expect(keys.serviceState('web', 'api')).toEqual({ pk: 'SERVICE#web#api', sk: 'STATE' });
    expect(keys.onDemandService('web', 'api')).toEqual({ pk: 'SERVICES', sk: 'ON-DEMAND#web#api' });
    expect(keys.budgetWindow('cluster:batch')).toEqual({ pk: 'BUDGET#cluster:batch', sk: 'WINDOW' });
    expect(keys.budgetClaim('cluster:batch', 'r-1')).toEqual({ pk: 'BUDGET#cluster:batch', sk: 'CLAIM#r-1' });
    expect(keys.operatorAction('batch', '2026-01-01T00:00:00.000Z', 'req-1')).toEqual({
      pk: 'ACTIONS#batch',
      sk: '2026-01-01T00:00:00.000Z#req-1',
    });
    expect(claimRequestId('CLAIM#r-1')).toBe('r-1');
  });

  it('queries the partitions and prefixes the keys are in', () => {
    expect(partitions.task(TASK)).toBe(`TASK#${TASK}`);
    expect(partitions.schedules).toBe('SCHEDULES');
    expect(partitions.schedule('nightly')).toBe('SCHEDULE#nightly');
    expect(partitions.services).toBe('SERVICES');
    expect(partitions.budget('k')).toBe('BUDGET#k');
    expect(partitions.operatorActions('batch')).toBe('ACTIONS#batch');
    expect(prefixes).toEqual({ run: 'RUN#', onDemand: 'ON-DEMAND#', claim: 'CLAIM#' });
  });

  it("keys a summary in both indexes (the stack's GSIs byCluster and byClassification)", () => {
    const summary = {
      cluster: 'batch',
      classification: 'failed' as const,
      eventTime: '2024-05-14T09:12:00Z',
      taskId: TASK,
    };
    expect(summaryIndexKeys(summary)).toEqual({
      gsi1pk: 'batch',
      gsi1sk: `2024-05-14T09:12:00Z#${TASK}`,
      gsi2pk: 'batch#failed',
      gsi2sk: `2024-05-14T09:12:00Z#${TASK}`,
    });
    expect(taskIndexes.byCluster('batch')).toEqual({
      index: 'byCluster',
      partitionKey: 'gsi1pk',
      sortKey: 'gsi1sk',
      partition: 'batch',
    });
    expect(taskIndexes.byClassification('batch', 'failed')).toEqual({
      index: 'byClassification',
      partitionKey: 'gsi2pk',
      sortKey: 'gsi2sk',
      partition: 'batch#failed',
    });
  });

  it('expires items by expiresAt, in epoch seconds', () => {
    const at = Date.parse('2026-11-28T12:00:00.400Z');
    expect(TTL_ATTRIBUTE).toBe('expiresAt');
    expect(expiresAt(at, 30)).toBe(1_795_867_200 + 30 * 86_400);
    expect(expiresIn(at, 60)).toBe(1_795_867_260);
    // A lease lives to its end: the second after it, not the one before.
    expect(expiresAfter(at)).toBe(1_795_867_201);
  });

  it('reads back the record an item holds, without the attributes of the table', () => {
    const item = {
      ...keys.summary(TASK),
      kind: 'summary',
      expiresAt: 1,
      gsi1pk: 'a',
      gsi1sk: 'b',
      gsi2pk: 'c',
      gsi2sk: 'd',
      taskId: TASK,
      revision: 3,
    };
    expect(recordOf(item)).toEqual({ taskId: TASK, revision: 3 });
    expect(recordOf(item, ['revision'])).toEqual({ taskId: TASK });
  });
});
