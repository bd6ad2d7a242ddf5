/**
 * The ports: what the use cases (src/app, src/domain) need from the outside world, as function types and
 * store interfaces with their record types. The adapters (src/adapters) implement them; the composition roots
 * (functions/<name>/sideEffects.ts) wire an adapter to each port. Types, and the errors a port throws for its
 * caller to tell apart (a use case answers them: 409, 400); nothing else here runs.
 */
import type { Task } from '@aws-sdk/client-ecs';
import type { Classification } from './domain/classify';
import type { ActionView, LiveTask } from './domain/clusterState';
import type { LaunchGroup } from './domain/launchGroup';
import type { RecordedAttempt, RunTaskFailure } from './domain/launchOutcome';
import type { LaunchRequest, RunTaskInput } from './domain/launchRequest';
import type { LeaseHold } from './domain/leases';
import type { TaskTransition } from './domain/lifecycle';
import type { RunOutcome, RunRef, RunStats, SkipCause } from './domain/runOutcome';
import type { Schedule } from './domain/schedule';
import type { ServiceSpotState, StrategyItem } from './domain/serviceFallback';
import { AutopilotError, type AutopilotErrorOptions } from './errors';

// ---- ECS tasks (src/adapters/ecs.ts) ----

/** What one RunTask call started or could not start. */
export interface RunTaskResult {
  taskArns: string[];
  failures: RunTaskFailure[];
  /** true when ECS answered ConflictException: this clientToken already started these tasks. */
  alreadyStarted: boolean;
}

/** Starts tasks (ECS RunTask), idempotent on `clientToken`. */
export type RunTask = (input: RunTaskInput, clientToken: string) => Promise<RunTaskResult>;

/** Tags to add to tasks after they started: each task its own (a batched launch's lineage tags). */
export interface TagTasksJob {
  cluster: string;
  tasks: { taskArn: string; tags: { key: string; value: string }[] }[];
}

/** Adds tags to one running task (ECS TagResource). */
export type TagTask = (taskArn: string, tags: { key: string; value: string }[]) => Promise<void>;

/** Reads a task's tags as key -> value (they are not in task events). */
export type DescribeTaskTags = (cluster: string, taskArn: string) => Promise<Record<string, string>>;

/** A drained container instance and the tasks still running on it. */
export interface InstanceTasks {
  cluster: string;
  containerInstanceArn: string;
  /** Running tasks on the instance, in DescribeTasks form with tags. */
  tasks: Task[];
}

/** Sets the container instance of an EC2 instance DRAINING; undefined when no cluster knows it. */
export type DrainSpotInstance = (
  clusters: string[],
  ec2InstanceId: string,
) => Promise<InstanceTasks | undefined>;

/** The ARNs of a cluster's running tasks started by `startedBy`. */
export type ListRunningTasks = (cluster: string, startedBy: string) => Promise<string[]>;

/** Stops tasks, giving ECS the reason. */
export type StopTasks = (cluster: string, taskArns: string[], reason: string) => Promise<void>;

// ---- ECS services (src/adapters/ecsServices.ts) ----

/** What the Spot fallback needs to know of a service. */
export interface ServiceDescription {
  serviceArn: string;
  /** ACTIVE, DRAINING (being deleted) or INACTIVE (deleted). */
  status: string;
  /** undefined for a service with a launch type. */
  strategy: StrategyItem[] | undefined;
  tags: Record<string, string>;
  launchType?: string;
}

/** Reads a service and switches its capacity provider strategy. */
export interface EcsServices {
  /** undefined when ECS does not know the service (DescribeServices failure MISSING). */
  describeService(cluster: string, service: string): Promise<ServiceDescription | undefined>;
  /** UpdateService with the strategy and forceNewDeployment, which moves the running tasks too. */
  updateStrategy(cluster: string, service: string, strategy: StrategyItem[]): Promise<void>;
}

// ---- Events (src/adapters/events.ts) ----

/** An event ecs-autopilot publishes on its bus. */
export interface OutgoingEvent {
  detailType: string;
  detail: Record<string, unknown>;
  resources?: string[];
}

/** Publishes events; a failed entry throws (never a silent loss). */
export type PublishEvents = (events: OutgoingEvent[]) => Promise<void>;

// ---- Queues (src/adapters/launchQueue.ts, reactionRetryQueue.ts, scheduler.ts) ----

/** Sends a launch request to the launch queue, due in `delaySeconds` (any length: it travels in hops). */
export type SendLaunchRequest = (request: LaunchRequest, delaySeconds: number) => Promise<void>;

/** Sends a tag job to the launch queue, due in `delaySeconds` (at most SQS's 15 minutes). */
export type SendTagJob = (job: TagTasksJob, delaySeconds: number) => Promise<void>;

// ---- Spot shortages (src/adapters/spotShortages.ts) ----

/** A Spot capacity shortage remembered for one provider in one cluster (launches go on-demand meanwhile). */
export interface SpotShortage {
  cluster: string;
  provider: string;
  /** Epoch ms: the cool-down ends. */
  until: number;
  /** Epoch ms: the next probe (one launch tries Spot again) may go. */
  probeAfter: number;
  since: string;
}

export interface SpotShortages {
  /** The shortage remembered for the provider in the cluster, unless it has ended. */
  current(cluster: string, provider: string): Promise<SpotShortage | undefined>;
  /** Remembers a shortage until `until`; `started` false when one was remembered already (nothing to announce). */
  remember(shortage: Omit<SpotShortage, 'since'>): Promise<{ started: boolean }>;
  /** True for the one caller that may probe Spot now; the next probe waits until `nextProbeAfter`. */
  takeProbe(shortage: SpotShortage, nextProbeAfter: number): Promise<boolean>;
  /** Spot took a launch again: the shortage is over before its cool-down. */
  forget(cluster: string, provider: string): Promise<void>;
}

/** A task event whose reaction must wait, and the try it comes back for (1 = the first retry). */
export interface ReactionRetry {
  attempt: number;
  event: unknown;
}

/** Sends a task event back to the reactions after `delaySeconds`. */
export type SendReactionRetry = (retry: ReactionRetry, delaySeconds: number) => Promise<void>;

/** What the EventBridge Scheduler schedule sends to the launch queue at each due time. */
export interface ScheduleTrigger {
  /** backfill: a past due time POST /schedules/{name}/backfill asked for (the same run as its due time). */
  trigger: 'schedule' | 'manual' | 'backfill';
  schedule: string;
  scheduledTime: string;
  /** When the backfill asked for it: its startingDeadlineSeconds count from then, not from the due time. */
  requestedAt?: string;
  /** The run this trigger starts, when it was recorded before (a BufferOne run let go after waiting). */
  requestId?: string;
}

/** Sends a schedule's due time to the launch queue (a BufferOne run let go, a backfilled due time). */
export type SendScheduleTrigger = (trigger: ScheduleTrigger, delaySeconds: number) => Promise<void>;

// ---- Scheduler (src/adapters/scheduler.ts) ----

/** Mirrors a stored schedule definition as an EventBridge Scheduler schedule. */
export interface SchedulerPort {
  put(schedule: Schedule, mode: 'create' | 'update'): Promise<void>;
  remove(name: string): Promise<void>;
}

// ---- Launch store (src/adapters/launchStore.ts) ----

/** What ecs-autopilot started: one per task, with the full RunTask input, lineage and policy. */
export interface LaunchRecord {
  taskArn: string;
  taskId: string;
  requestId: string;
  reason: LaunchRequest['reason'];
  runTask: RunTaskInput;
  lineage?: LaunchRequest['lineage'];
  policy?: LaunchRequest['policy'];
  requestedBy?: string;
  context?: Record<string, string>;
  /** A run of a Forbid or Replace schedule: its restarts hold the schedule's launch lease too. */
  launchLease?: LaunchRequest['launchLease'];
  launchedAt: string;
}

/** The one restart/fallback decision taken on a task's failure. */
export interface DecisionRecord {
  taskArn: string;
  action: string;
  reason?: string;
  decidedAt: string;
  delaySeconds?: number;
  attempt?: number;
  /** The launch request sent for this decision, kept so an interrupted delivery can send it again. */
  request?: LaunchRequest;
  /** Events announcing the decision, published after the request is sent. */
  events: OutgoingEvent[];
  /** true once the request was sent and the events published. */
  done: boolean;
  /**
   * A verdict that a later event may decide otherwise (not restartable until the cluster's network defaults
   * are configured): a later decision replaces it, where any other decision is final.
   */
  provisional?: boolean;
  replacementTaskArns?: string[];
  [key: string]: unknown;
}

/**
 * What became of one RunTask attempt, written once (the idempotency marker), with the follow-ups it
 * still owes: a retry to enqueue and events to publish. A redelivery finds the marker and only finishes
 * the follow-ups, so it never calls RunTask again, and nothing owed is lost if a follow-up fails.
 */
export interface RequestOutcome {
  status: 'launched' | 'failed' | 'requeued';
  taskArns: string[];
  failures?: unknown[];
  requeue?: { request: LaunchRequest; delaySeconds: number };
  events: OutgoingEvent[];
  /** Lineage tags still to add to the tasks of a batched launch (TagResource, off the launch's path). */
  tag?: TagTasksJob;
  done: boolean;
  at: string;
}

/**
 * A launch the HTTP API accepted, so GET /launches/{requestId} knows it before (or without) any RunTask
 * attempt: a throttled launch is queued with nothing recorded yet. No overrides: they can hold secrets.
 */
export interface AcceptedLaunch {
  requestId: string;
  reason: LaunchRequest['reason'];
  /** The caller's IAM principal, whose Idempotency-Key (if any) named the request. */
  requestedBy?: string;
  acceptedAt: string;
  cluster: string;
  taskDefinition: string;
  count: number;
  /** The hash of the body it was accepted for (src/domain/idempotency.ts): its key names no other body. */
  bodyHash?: string;
}

/** Launch bookkeeping: launches, decisions, RunTask outcome markers, accepted launches. */
/** A member of a claimed launch group, not yet recorded: its redelivery launches with the group again. */
export interface RequestClaim {
  status: 'claimed';
  groupId: string;
  at: string;
}

export const isClaim = (item: RequestOutcome | RequestClaim | undefined): item is RequestClaim =>
  item?.status === 'claimed';

export interface LaunchStore {
  getLaunch(taskId: string): Promise<LaunchRecord | undefined>;
  getDecision(taskId: string): Promise<DecisionRecord | undefined>;
  /**
   * Conditional put: `created` false (and the existing decision) when one was taken before. A provisional
   * decision is only put where there is none; a final one also replaces a provisional one.
   */
  putDecision(
    taskId: string,
    decision: DecisionRecord,
  ): Promise<{ created: true } | { created: false; existing: DecisionRecord }>;
  markDecisionDone(taskId: string): Promise<void>;
  /** The attempt's outcome marker, or the claim of the group it launches in (not yet launched, or not recorded). */
  getOutcome(
    request: Pick<LaunchRequest, 'requestId' | 'capacityRetries'>,
  ): Promise<RequestOutcome | RequestClaim | undefined>;
  /**
   * One transaction before RunTask: the group (members, input, clientToken) and a claim for each member.
   * Refused when any member is claimed or recorded already (by another group, or this one): `taken` holds
   * what each such member has, by its request key; nothing is written then.
   */
  claimGroup(
    group: LaunchGroup,
  ): Promise<{ claimed: true } | { claimed: false; taken: Map<string, RequestOutcome | RequestClaim> }>;
  getGroup(groupId: string): Promise<LaunchGroup | undefined>;
  /**
   * Undoes a claim that never reached ECS (every RunTask call of it was throttled, which starts nothing):
   * the group and its members' claims go, so the requests come back as new ones (their deadline, budgets and
   * grouping decided again). False when a member was recorded or claimed otherwise meanwhile (nothing removed).
   */
  releaseGroup(group: LaunchGroup): Promise<boolean>;
  /**
   * One transaction after RunTask: each member's outcome marker (replacing its claim), a LAUNCH item per
   * started task, each replaced task's decision pointing at its replacement. `first` false for the members
   * another delivery recorded first (their recorded outcome is returned).
   */
  recordGroup(
    group: LaunchGroup,
    outcomes: readonly Omit<RequestOutcome, 'done' | 'at'>[],
  ): Promise<{ first: boolean; outcome: RequestOutcome }[]>;
  /**
   * One transaction: the outcome marker, a LAUNCH item per started task, and the replaced task's decision
   * pointing at its replacement. `first` false when a marker was already there (then its outcome is returned).
   */
  recordOutcome(
    request: LaunchRequest,
    outcome: Omit<RequestOutcome, 'done' | 'at'>,
  ): Promise<{ first: boolean; outcome: RequestOutcome }>;
  markOutcomeDone(request: Pick<LaunchRequest, 'requestId' | 'capacityRetries'>): Promise<void>;
  /** Every RunTask attempt of a request recorded so far, in order (capacity retries 0, 1, ...). */
  getAttempts(requestId: string): Promise<RecordedAttempt[]>;
  /**
   * Records an accepted launch once: `created` false (and the launch recorded first) when its request id was
   * accepted before, as for a retried POST with the same Idempotency-Key.
   */
  acceptLaunch(
    launch: AcceptedLaunch,
  ): Promise<{ created: true } | { created: false; existing: AcceptedLaunch }>;
  getAcceptedLaunch(requestId: string): Promise<AcceptedLaunch | undefined>;
}

// ---- Launch budgets (src/adapters/launchBudgets.ts) ----

/** At most `limit` launches in any `windowMinutes`. */
export interface BudgetRule {
  limit: number;
  windowMinutes: number;
}

/** What a claim on a budget got. */
export interface ClaimResult {
  granted: boolean;
  /** This request was counted before (a redelivery): granted without counting again. */
  replay: boolean;
  /** Launches in the window before this claim, and the rule's limit. */
  used: number;
  limit: number;
}

/** A budget's window as read: launches counted, and its breaker if open. */
export interface BudgetState {
  used: number;
  openUntil?: string;
  /** The opening was announced (Task Restart Paused published). */
  announced?: boolean;
}

/** Rolling-window launch counters and breakers, each launch request counted exactly once. */
export interface LaunchBudgets {
  claim(key: string, requestId: string, count: number, rule: BudgetRule): Promise<ClaimResult>;
  state(key: string, windowMinutes: number): Promise<BudgetState>;
  /** Opens a breaker until `untilMs`; true for the call that opened it (the one that announces it). */
  open(key: string, untilMs: number): Promise<boolean>;
  /** The opening until `untilMs` was announced; a delivery that finds it open and not announced announces it. */
  markAnnounced(key: string, untilMs: number): Promise<void>;
  /** Closes a breaker and forgets its window. */
  reset(key: string): Promise<void>;
}

// ---- Schedule store (src/adapters/scheduleStore.ts) ----

/** A schedule definition as stored (the source of truth), with its version for conditional writes. */
export interface StoredSchedule extends Schedule {
  version: number;
  createdAt: string;
  updatedAt: string;
  createdBy?: string;
  updatedBy?: string;
  /** Set when ecs-autopilot paused it (pauseAfterConsecutiveFailures): who, why and when. */
  pausedBy?: string;
  pausedReason?: string;
  pausedAt?: string;
}

/**
 * One run of a schedule: due, manual, backfilled, or skipped. `status` is what it was when recorded
 * (WAITING: BufferOne keeps it until the run in progress ends); `outcome` is how it ended, written once.
 */
export interface ScheduleRun {
  requestId: string;
  trigger: ScheduleTrigger['trigger'];
  scheduledTime: string;
  status: 'PENDING' | 'SKIPPED' | 'WAITING';
  /** Why it was skipped (status SKIPPED). */
  cause?: SkipCause;
  /** Tasks this run stopped (concurrencyPolicy Replace). */
  replacedTaskArns?: string[];
  message?: string;
  requestedBy?: string;
  /** Tasks the run starts (the schedule's count): it SUCCEEDS once this many have succeeded. */
  count?: number;
  /** When its first task was launched. */
  startedAt?: string;
  /** Its tasks that ended with every essential container at exit 0 (replacements included). */
  succeededTaskIds?: Set<string>;
  outcome?: RunOutcome;
  /** The outcome's events were published, the pause and the waiting run seen to (follow-ups done). */
  announced?: boolean;
  /** When the outcome was written: its follow-ups belong to that delivery for a while (see runOutcomes.ts). */
  settledAt?: string;
}

/** The run a BufferOne schedule keeps waiting while another is in progress (at most one). */
export interface BufferedRun {
  requestId: string;
  scheduledTime: string;
  trigger: ScheduleTrigger['trigger'];
  requestedAt?: string;
}

/** How runs end: their outcome written once with the schedule's statistics, and BufferOne's waiting run. */
export interface RunOutcomeStore {
  getRun(ref: RunRef): Promise<ScheduleRun | undefined>;
  /** Its first task launched (kept if set before). */
  markStarted(ref: RunRef, at: string): Promise<void>;
  /** Counts a task that succeeded (once per task, whatever the deliveries): the run as it is now. */
  addSucceededTask(ref: RunRef, taskId: string): Promise<ScheduleRun | undefined>;
  /**
   * Writes the outcome of a run that has none yet and counts it in the schedule's statistics, in one
   * transaction (`count` gives the statistics after it, from the ones read). `first` false: it had ended
   * before (the run as stored is returned), nothing is written.
   */
  settle(
    ref: RunRef,
    outcome: RunOutcome,
    count: (stats: RunStats) => RunStats,
  ): Promise<{ first: true; stats: RunStats } | { first: false; run?: ScheduleRun }>;
  markAnnounced(ref: RunRef): Promise<void>;
  getStats(schedule: string): Promise<RunStats | undefined>;
  /** Pauses an ENABLED schedule, as a new version (undefined when it is not ENABLED any more, or gone). */
  pauseBySystem(
    schedule: string,
    pause: { by: string; reason: string; at: string },
  ): Promise<StoredSchedule | undefined>;
  /** Keeps `run` waiting: true when the slot was free or already its own, false when another run waits. */
  buffer(schedule: string, run: BufferedRun): Promise<boolean>;
  /** Takes the waiting run out of its slot (only `holder`'s, when given); undefined when none waited. */
  takeBuffered(schedule: string, holder?: string): Promise<BufferedRun | undefined>;
  /** The request ids of the runs recorded with a scheduledTime in [fromMs, toMs) (backfill). */
  recordedRunIds(schedule: string, fromMs: number, toMs: number): Promise<Set<string>>;
}

/** Schedule definitions (capped at maxSchedules), their runs, and each schedule's launch lease. */
export interface ScheduleStore {
  get(name: string): Promise<StoredSchedule | undefined>;
  /**
   * Creates a schedule whose name is free (ScheduleConflictError otherwise) while fewer than `maxSchedules`
   * exist (ScheduleLimitError otherwise), counting it in the same transaction.
   */
  create(schedule: StoredSchedule, maxSchedules: number): Promise<void>;
  /** Replaces the version read (ScheduleConflictError when it changed meanwhile). */
  put(schedule: StoredSchedule, expectedVersion: number): Promise<void>;
  /** Deletes a schedule and uncounts it; one already gone changes nothing. */
  remove(name: string): Promise<void>;
  list(limit: number, nextToken?: string): Promise<{ schedules: StoredSchedule[]; nextToken?: string }>;
  /** Records a run once per request id (a redelivered trigger does not record it twice). */
  recordRun(name: string, run: ScheduleRun): Promise<boolean>;
  /**
   * Takes the schedule's launch lease for `holder` (a run's requestId): true when it was free, expired, or
   * already this holder's (a redelivered trigger), false while another run holds it. `takeOverParked`
   * (concurrencyPolicy Replace) also takes it from a run parked on the queue (holdLaunchLease `parked`),
   * which then finds the lease gone and gives up instead of launching. `hold`: taken for that long (parked
   * or not) instead of the usual LAUNCH_LEASE_MS, for a run that waits before its launch (a restart's backoff).
   */
  acquireLaunchLease(
    name: string,
    holder: string,
    options?: { takeOverParked?: boolean; hold?: LeaseHold },
  ): Promise<boolean>;
  /**
   * Keeps the lease `holder` still holds for `holdMs` more: `parked` while its launch waits on the queue
   * (throttled, or capacity short), so a Replace may take it over. False when the lease is gone or another's
   * (taken over, or taken after it expired): the holder must not launch.
   */
  holdLaunchLease(name: string, holder: string, options: LeaseHold): Promise<boolean>;
  /** Frees the lease if `holder` still holds it; another's lease (taken after ours expired) stays. */
  releaseLaunchLease(name: string, holder: string): Promise<void>;
  listRuns(
    name: string,
    limit: number,
    nextToken?: string,
  ): Promise<{ runs: ScheduleRun[]; nextToken?: string }>;
}

// ---- Service state (src/adapters/serviceState.ts) ----

/** A service's Spot fallback state and its revision. */
export interface StoredServiceState {
  state: ServiceSpotState;
  /** 1 for the first write, then one more per write. */
  revision: number;
}

/** A service, by cluster and name. */
export interface ServiceRef {
  cluster: string;
  service: string;
}

/** Each service's Spot fallback state, with the on-demand services listed for their restore. */
export interface ServiceStateStore {
  getState(cluster: string, service: string): Promise<StoredServiceState | undefined>;
  /**
   * Writes the state as revision expectedRevision + 1 if the stored one is still expectedRevision (0: none
   * stored yet); false on a conflict (someone wrote in between). Adds or removes the on-demand index item.
   */
  putState(state: ServiceSpotState, expectedRevision: number): Promise<boolean>;
  /** The services whose state is on-demand (their restore is still to come). */
  listOnDemandServices(): Promise<ServiceRef[]>;
}

// ---- Task history (src/adapters/taskHistory.ts) ----

/** What recording one transition changed. */
export interface RecordOutcome {
  /** false when this exact (task, version) was stored before: a duplicate delivery. */
  isNew: boolean;
  /** true when this transition became the task's summary (it is the newest seen). */
  isNewest: boolean;
  /** true the first time the task's summary reaches STOPPED. */
  firstStop: boolean;
}

/** Stores a task's state change, and its summary when it is the newest. */
export type RecordTransition = (t: TaskTransition) => Promise<RecordOutcome>;

/** A task's newest state. */
export type TaskSummary = TaskTransition;

/** Everything stored about one task. */
export interface TaskHistory {
  /** Absent while the task's first state change is not stored yet (a launch or a decision can come first). */
  summary?: TaskSummary;
  transitions: TaskTransition[];
  /** What ecs-autopilot recorded when it launched this task (LAUNCH item), if it did. */
  launch?: LaunchRecord;
  /** The restart/fallback decision taken on this task's failure (DECISION item), if any. */
  decision?: DecisionRecord;
}

/** Reads a task's history; undefined when nothing is stored about it. */
export type GetTaskHistory = (taskId: string) => Promise<TaskHistory | undefined>;

/** A page of a cluster's tasks, newest first, optionally of one classification and since a time. */
export interface ListTasksQuery {
  cluster: string;
  classification?: Classification;
  since?: string;
  limit: number;
  nextToken?: string;
}

/** One page of task summaries, and the token of the next. */
export interface ListTasksPage {
  tasks: TaskSummary[];
  nextToken?: string;
}

/** Lists task summaries (InvalidPageTokenError for a token it did not return). */
export type ListTasks = (q: ListTasksQuery) => Promise<ListTasksPage>;

// ---- A cluster as ECS has it, and what callers do to it (src/adapters/clusterReader.ts) ----

/** A service as the cluster state shows it. */
export interface LiveService {
  service: string;
  /** ACTIVE, DRAINING or INACTIVE. */
  status: string;
  desiredCount: number;
  runningCount: number;
  pendingCount: number;
  /** Its strategy's capacity providers, or its launch type. */
  capacity: string[];
}

/** Reads a cluster's tasks and services from ECS: paginated, batched, and cached a few seconds per cluster. */
export interface ClusterReader {
  /** The tasks ECS keeps running or starting (desiredStatus RUNNING), at most `limit`. */
  tasks(cluster: string, limit: number): Promise<{ tasks: LiveTask[]; truncated: boolean; asOf: string }>;
  services(cluster: string): Promise<LiveService[]>;
  /** One task, undefined when ECS does not know it (in that cluster, or any more). */
  task(cluster: string, task: string): Promise<(LiveTask & { desiredStatus: string }) | undefined>;
  /** One service, undefined when ECS does not know it or it is deleted (INACTIVE). */
  service(cluster: string, service: string): Promise<LiveService | undefined>;
  /** Forgets what was cached of a cluster: an action changed it. */
  forget(cluster: string): void;
}

/** What a caller may do to a cluster through the API. */
export interface ClusterActions {
  stopTask(cluster: string, taskArn: string, reason: string): Promise<void>;
  scaleService(cluster: string, service: string, desiredCount: number): Promise<void>;
  /** UpdateService with forceNewDeployment: new tasks replace the running ones, same task definition. */
  redeployService(cluster: string, service: string): Promise<void>;
}

/** A caller's action on a cluster, as the history keeps it. */
export interface OperatorAction extends ActionView {
  cluster: string;
  /** Unique per action (the API request's id): two actions in one millisecond keep both. */
  id: string;
}

/** What the cluster state reads of a task's summary. */
export type ClusterTaskSummary = Pick<
  TaskSummary,
  'taskArn' | 'taskId' | 'family' | 'lastStatus' | 'classification' | 'eventTime'
> &
  Partial<
    Pick<
      TaskSummary,
      | 'capacityProviderName'
      | 'launchType'
      | 'startedBy'
      | 'cpu'
      | 'memory'
      | 'createdAt'
      | 'startedAt'
      | 'stoppedAt'
    >
  >;

/** Summaries read for a cluster, and whether there were more than asked for. */
export interface ClusterTaskPage {
  tasks: ClusterTaskSummary[];
  truncated: boolean;
}

/** The history's view of a cluster, for its state (src/adapters/clusterHistory.ts). */
export interface ClusterHistory {
  /** Task summaries with activity (an event) at or after `since`, newest first, at most `limit`. */
  activitySince(cluster: string, since: string, limit: number): Promise<ClusterTaskPage>;
  /** Summaries still classified running (their last event may be old), at most `limit`. */
  running(cluster: string, limit: number): Promise<ClusterTaskPage>;
  /** The decisions taken on these tasks, by task id (tasks without one are left out). */
  decisions(taskIds: readonly string[]): Promise<Map<string, DecisionRecord>>;
  /** The Spot fallback state of these services, by service name (services never moved are left out). */
  serviceStates(cluster: string, services: readonly string[]): Promise<Map<string, ServiceSpotState>>;
  /** The Spot shortages remembered for the cluster, ended or not. */
  spotShortages(cluster: string): Promise<SpotShortage[]>;
  recordAction(action: OperatorAction): Promise<void>;
  /** Callers' actions on the cluster at or after `since`, newest first. */
  actionsSince(cluster: string, since: string, limit: number): Promise<OperatorAction[]>;
}

// Errors the ports throw.

/** A page token the caller sent back that no query of this API returned (ListTasks, the schedule store). */
export class InvalidPageTokenError extends AutopilotError {
  constructor(options?: AutopilotErrorOptions) {
    super('nextToken is not a token this API returned', options);
    this.name = 'InvalidPageTokenError';
  }
}

/** A schedule write that met another: a name taken, a version changed since it was read. */
export class ScheduleConflictError extends AutopilotError {
  constructor(message: string, options?: AutopilotErrorOptions) {
    super(message, options);
    this.name = 'ScheduleConflictError';
  }
}

/** A create past the stage's cap on schedules. */
export class ScheduleLimitError extends AutopilotError {
  constructor(readonly maxSchedules: number) {
    super(
      `this stage keeps at most ${maxSchedules} schedules (maxSchedules): delete one, or raise maxSchedules`,
      { context: { maxSchedules } },
    );
    this.name = 'ScheduleLimitError';
  }
}
