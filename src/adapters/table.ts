import type { LaunchGroup } from '../domain/launchGroup';
import type { TaskTransition } from '../domain/lifecycle';
import type { RunStats } from '../domain/runOutcome';
import type { ServiceSpotState } from '../domain/serviceFallback';
import type {
  AcceptedLaunch,
  BufferedRun,
  DecisionRecord,
  LaunchRecord,
  OperatorAction,
  RequestClaim,
  RequestOutcome,
  ScheduleRun,
  SpotShortage,
  StoredSchedule,
} from '../ports';

/**
 * The single table's layout, in one place: every item's key, the index keys, the time to live, and the items
 * as they are stored. A deployed stack's table holds items written with these keys and attribute names, and
 * must still read them: change none of them (test/unit/table.test.ts pins them).
 *
 *   pk TASK#<taskId>                 sk V#<version, 10 digits>          transition   one per state change (immutable)
 *   pk TASK#<taskId>                 sk SUMMARY                         summary      the newest state, with the index keys
 *   pk TASK#<taskId>                 sk LAUNCH                          launch       what ecs-autopilot started
 *   pk TASK#<taskId>                 sk DECISION                        decision     the restart/fallback decision on its failure
 *   pk REQ#<requestId>#<retries>     sk REQ                             request      what became of one RunTask attempt
 *                                                                                    (or, before it, the group it launches in)
 *   pk REQ#<requestId>               sk ACCEPTED                        accepted     a launch the HTTP API accepted
 *   pk GROUP#<groupId>               sk GROUP                           launch-group   requests sharing one RunTask call
 *   pk SPOT_SHORTAGE#<cluster>       sk <capacity provider>             spot-shortage  launches go on-demand until it ends
 *   pk SCHEDULES                     sk <name>                          (none)       a schedule's definition
 *   pk SCHEDULE_COUNT                sk SCHEDULE_COUNT                  (none)       how many definitions there are
 *   pk SCHEDULE#<name>               sk RUN#<scheduledTime>#<requestId> (none)       one run of it
 *   pk SCHEDULE#<name>               sk LAUNCH_LEASE                    (none)       who is launching a run of it now
 *   pk SCHEDULE#<name>               sk STATS                           (none)       its last run, streak, last success
 *   pk SCHEDULE#<name>               sk BUFFERED                        (none)       the run BufferOne keeps waiting
 *   pk SERVICE#<cluster>#<service>   sk STATE                           service-state  its Spot fallback state
 *   pk SERVICES                      sk ON-DEMAND#<cluster>#<service>   service-index  present while it is on-demand
 *   pk BUDGET#<key>                  sk WINDOW                          (none)       a rolling window's counts
 *   pk BUDGET#<key>                  sk CLAIM#<requestId>               budget-claim   one launch request counted
 *   pk ACTIONS#<cluster>             sk <at>#<id>                       operator-action  a caller stopped, scaled, redeployed
 * (the third column is the item's `kind` attribute). Two indexes on the summaries: byCluster (gsi1pk = cluster,
 * gsi1sk = <eventTime>#<taskId>) and byClassification (gsi2pk = <cluster>#<classification>, same sort key).
 * The time to live is the expiresAt attribute, in epoch seconds; the schedule definitions, the count and the
 * service items have none.
 */

/** The attribute DynamoDB's time to live reads (TimeToLiveSpecification in serverless.yml). */
export const TTL_ATTRIBUTE = 'expiresAt';
export const DAY_SECONDS = 86_400;

/** The TTL (epoch seconds) of an item to keep `seconds` from `nowMs`. */
export const expiresIn = (nowMs: number, seconds: number): number => Math.floor(nowMs / 1000) + seconds;

/** The TTL (epoch seconds) of an item written at `nowMs` and kept `retentionDays` (HISTORY_RETENTION_DAYS). */
export const expiresAt = (nowMs: number, retentionDays: number): number =>
  expiresIn(nowMs, retentionDays * DAY_SECONDS);

/** The TTL (epoch seconds) of an item needed until `untilMs`: the second after, never before. */
export const expiresAfter = (untilMs: number): number => Math.ceil(untilMs / 1000);

/** An item's primary key (a type, not an interface: it is a Record<string, unknown> wherever one is asked). */
export type Key = { pk: string; sk: string };

const TASK_PK = (taskId: string) => `TASK#${taskId}`;
const REQ_PK = (key: string) => `REQ#${key}`;
const SCHEDULE_PK = (name: string) => `SCHEDULE#${name}`;
const BUDGET_PK = (key: string) => `BUDGET#${key}`;
const RUN_PREFIX = 'RUN#';
const ON_DEMAND_PREFIX = 'ON-DEMAND#';
const CLAIM_PREFIX = 'CLAIM#';
const ACTIONS_PK = (cluster: string) => `ACTIONS#${cluster}`;

/** The partitions the stores query: every item of one task, the schedules, one schedule's items, ... */
export const partitions = {
  task: TASK_PK,
  schedules: 'SCHEDULES',
  schedule: SCHEDULE_PK,
  services: 'SERVICES',
  budget: BUDGET_PK,
  operatorActions: ACTIONS_PK,
  spotShortages: (cluster: string) => `SPOT_SHORTAGE#${cluster}`,
} as const;

/** Sort key prefixes, for begins_with within a partition. */
export const prefixes = { run: RUN_PREFIX, onDemand: ON_DEMAND_PREFIX, claim: CLAIM_PREFIX } as const;

export const keys = {
  transition: (taskId: string, version: number): Key => ({
    pk: TASK_PK(taskId),
    sk: `V#${String(version).padStart(10, '0')}`,
  }),
  summary: (taskId: string): Key => ({ pk: TASK_PK(taskId), sk: 'SUMMARY' }),
  launch: (taskId: string): Key => ({ pk: TASK_PK(taskId), sk: 'LAUNCH' }),
  decision: (taskId: string): Key => ({ pk: TASK_PK(taskId), sk: 'DECISION' }),
  /** `key`: the attempt's idempotency key (requestKey in launchStore.ts: <requestId>#<capacityRetries>). */
  requestOutcome: (key: string): Key => ({ pk: REQ_PK(key), sk: 'REQ' }),
  accepted: (requestId: string): Key => ({ pk: REQ_PK(requestId), sk: 'ACCEPTED' }),
  launchGroup: (groupId: string): Key => ({ pk: `GROUP#${groupId}`, sk: 'GROUP' }),
  spotShortage: (cluster: string, provider: string): Key => ({
    pk: `SPOT_SHORTAGE#${cluster}`,
    sk: provider,
  }),
  schedule: (name: string): Key => ({ pk: partitions.schedules, sk: name }),
  scheduleCount: (): Key => ({ pk: 'SCHEDULE_COUNT', sk: 'SCHEDULE_COUNT' }),
  scheduleRun: (name: string, scheduledTime: string, requestId: string): Key => ({
    pk: SCHEDULE_PK(name),
    sk: `${RUN_PREFIX}${scheduledTime}#${requestId}`,
  }),
  launchLease: (name: string): Key => ({ pk: SCHEDULE_PK(name), sk: 'LAUNCH_LEASE' }),
  scheduleStats: (name: string): Key => ({ pk: SCHEDULE_PK(name), sk: 'STATS' }),
  bufferedRun: (name: string): Key => ({ pk: SCHEDULE_PK(name), sk: 'BUFFERED' }),
  serviceState: (cluster: string, service: string): Key => ({
    pk: `SERVICE#${cluster}#${service}`,
    sk: 'STATE',
  }),
  onDemandService: (cluster: string, service: string): Key => ({
    pk: partitions.services,
    sk: `${ON_DEMAND_PREFIX}${cluster}#${service}`,
  }),
  budgetWindow: (key: string): Key => ({ pk: BUDGET_PK(key), sk: 'WINDOW' }),
  operatorAction: (cluster: string, at: string, id: string): Key => ({
    pk: ACTIONS_PK(cluster),
    sk: `${at}#${id}`,
  }),
  budgetClaim: (key: string, requestId: string): Key => ({
    pk: BUDGET_PK(key),
    sk: `${CLAIM_PREFIX}${requestId}`,
  }),
} as const;

/** The request id of a budget claim item, from its sort key. */
export const claimRequestId = (sk: string): string => sk.slice(CLAIM_PREFIX.length);

/** The two indexes on the task summaries, their key attributes, and the partition of a listing. */
export const taskIndexes = {
  byCluster: (cluster: string) => ({
    index: 'byCluster',
    partitionKey: 'gsi1pk',
    sortKey: 'gsi1sk',
    partition: cluster,
  }),
  byClassification: (cluster: string, classification: string) => ({
    index: 'byClassification',
    partitionKey: 'gsi2pk',
    sortKey: 'gsi2sk',
    partition: `${cluster}#${classification}`,
  }),
} as const;

export interface SummaryIndexKeys {
  gsi1pk: string;
  gsi1sk: string;
  gsi2pk: string;
  gsi2sk: string;
}

/** A summary's keys in both indexes: listed by cluster, or by cluster and classification, by time. */
export function summaryIndexKeys(
  t: Pick<TaskTransition, 'cluster' | 'classification' | 'eventTime' | 'taskId'>,
): SummaryIndexKeys {
  const activity = `${t.eventTime}#${t.taskId}`;
  return {
    gsi1pk: taskIndexes.byCluster(t.cluster).partition,
    gsi1sk: activity,
    gsi2pk: taskIndexes.byClassification(t.cluster, t.classification).partition,
    gsi2sk: activity,
  };
}

/** Attributes of the table, not of the record an item holds: dropped when an item is read back. */
const TABLE_ATTRIBUTES = ['pk', 'sk', 'kind', 'gsi1pk', 'gsi1sk', 'gsi2pk', 'gsi2sk', TTL_ATTRIBUTE] as const;

/** The record an item holds: the item without its keys, kind, index keys and TTL. */
export function recordOf<T>(item: object, alsoDrop: readonly string[] = []): T {
  const copy: Record<string, unknown> = { ...item };
  for (const attribute of [...TABLE_ATTRIBUTES, ...alsoDrop]) delete copy[attribute];
  return copy as T;
}

// The items as stored.
type Item<Kind extends string | undefined, R> = Key & (Kind extends string ? { kind: Kind } : unknown) & R;
interface Expiring {
  expiresAt: number;
}

export type TransitionItem = Item<'transition', TaskTransition & Expiring>;
export type SummaryItem = Item<'summary', TaskTransition & Expiring & SummaryIndexKeys>;
export type LaunchItem = Item<'launch', LaunchRecord & Expiring>;
export type DecisionItem = Item<'decision', DecisionRecord & Expiring & { replacedAt?: string }>;
export type RequestItem = Item<'request', RequestOutcome & Expiring>;
export type ClaimItem = Item<'request', RequestClaim & Expiring>;
export type LaunchGroupItem = Item<'launch-group', LaunchGroup & { claimedAt: string } & Expiring>;
export type SpotShortageItem = Item<'spot-shortage', SpotShortage & Expiring>;
export type AcceptedItem = Item<'accepted', AcceptedLaunch & Expiring>;
export type ScheduleItem = Item<undefined, StoredSchedule>;
export type ScheduleCountItem = Item<undefined, { count: number }>;
export type ScheduleRunItem = Item<undefined, ScheduleRun & Expiring>;
export type ScheduleStatsItem = Item<undefined, RunStats>;
export type BufferedRunItem = Item<undefined, BufferedRun & Expiring>;
export type LaunchLeaseItem = Item<undefined, { holder: string; until: number; parked?: boolean } & Expiring>;
export type OperatorActionItem = Item<
  'operator-action',
  Omit<OperatorAction, 'kind'> & { actionKind: OperatorAction['kind'] } & Expiring
>;
export type ServiceStateItem = Item<'service-state', ServiceSpotState & { revision: number }>;
export type ServiceIndexItem = Item<'service-index', { cluster: string; service: string; since?: string }>;
export type BudgetWindowItem = Item<
  undefined,
  {
    minutes: Record<string, number>;
    version: number;
    openUntil?: string;
    openedAt?: string;
    announced?: boolean;
  } & Expiring
>;
export type BudgetClaimItem = Item<'budget-claim', { count: number; at: string } & Expiring>;
