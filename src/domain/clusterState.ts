/**
 * What GET /clusters/{cluster} and GET /clusters/{cluster}/capacity answer: a cluster as ECS and the history
 * see it, and its capacity mix over a window. The schemas are the API's contract (the OpenAPI document, the
 * console and the CLI read them); the rules that build the answers are the pure functions below.
 */

import * as z from '../zod';
import type { Classification } from './classify';
import { isSpotFallbackLaunch } from './launchGroup';
import { onDemandFor, type SpotMapping } from './spotFallback';

const isoDateTime = z.iso.datetime({ offset: true });
const count = z.number().check(z.int(), z.gte(0));
const amount = z.number().check(z.gte(0));

const taskCountFields = { running: count, pending: count };

export const capacitySchema = z.object({
  name: z
    .string()
    .check(
      z.describe(
        'The capacity provider (FARGATE, FARGATE_SPOT, an Auto Scaling group provider), or the launch type.',
      ),
    ),
  compute: z.enum(['fargate', 'ec2']),
  spot: z.boolean(),
});
export type Capacity = z.output<typeof capacitySchema>;

const restartSchema = z.object({
  taskArn: z.string(),
  family: z.string(),
  decidedAt: isoDateTime,
  attempt: z.optional(count),
  reason: z.optional(z.string()),
  requestId: z.optional(z.string().check(z.describe('The launch it asked for: GET /launches/{requestId}.'))),
});
export type RestartView = z.output<typeof restartSchema>;

export const ACTION_KINDS = [
  'restart',
  'give-up',
  'spot-fallback',
  'service-fallback',
  'service-restore',
  'stop-task',
  'scale-service',
  'redeploy-service',
] as const;
export type ActionKind = (typeof ACTION_KINDS)[number];

export const actionSchema = z.object({
  at: isoDateTime,
  kind: z.enum(ACTION_KINDS),
  by: z
    .string()
    .check(z.describe('"ecs-autopilot" for automatic actions, the caller\'s IAM principal for the API\'s.')),
  taskArn: z.optional(z.string()),
  service: z.optional(z.string()),
  family: z.optional(z.string()),
  detail: z.optional(z.string()),
});
export type ActionView = z.output<typeof actionSchema>;

const breakerSchema = z.object({
  family: z.string(),
  state: z.enum(['OPEN', 'CLOSED']),
  openUntil: z.optional(isoDateTime),
  relaunchesThatFailedAgain: count,
  limit: count,
});
export type BreakerView = z.output<typeof breakerSchema>;

const budgetSchema = z.object({
  name: z.enum(['launchesPerClusterHour', 'replacementsPerClusterHour']),
  used: count,
  limit: count,
  windowMinutes: count,
});
export type BudgetView = z.output<typeof budgetSchema>;

export const clusterStateSchema = z.object({
  cluster: z.string(),
  asOf: isoDateTime.check(z.describe('When ECS was read (answers are cached a few seconds).')),
  tasks: z.object({
    ...taskCountFields,
    byFamily: z.array(z.object({ family: z.string(), ...taskCountFields })),
    byCapacity: z.array(z.object({ ...capacitySchema.shape, ...taskCountFields })),
    truncated: z.optional(
      z
        .boolean()
        .check(
          z.describe('More tasks run than one answer reads (maxClusterTasks): the counts cover the first.'),
        ),
    ),
  }),
  services: z.array(
    z.object({
      service: z.string(),
      status: z.string(),
      desiredCount: count,
      runningCount: count,
      pendingCount: count,
      capacity: z
        .array(z.string())
        .check(z.describe("The service's capacity providers, or its launch type.")),
      spotFallback: z.optional(
        z
          .object({ onDemandSince: z.optional(isoDateTime) })
          .check(
            z.describe('Present while ecs-autopilot holds the service on on-demand after a Spot shortage.'),
          ),
      ),
    }),
  ),
  stoppedLastHour: z.object({
    total: count,
    byClassification: z.record(z.string(), count),
  }),
  restarts: z.object({
    inFlight: z
      .array(restartSchema)
      .check(z.describe('Restarts decided in the last hour whose replacement has not started yet.')),
    exhausted: z
      .array(restartSchema)
      .check(z.describe('Tasks of the last hour whose restarts were used up (given up).')),
  }),
  breakers: z.array(breakerSchema),
  budgets: z.array(budgetSchema),
  spotShortages: z.array(
    z.object({ provider: z.string(), fallback: z.string(), until: isoDateTime, since: isoDateTime }),
  ),
  upcomingRuns: z.array(
    z.object({ schedule: z.string(), at: isoDateTime, taskDefinition: z.string(), count }),
  ),
  recentActions: z.array(actionSchema).check(z.describe('The last hour, newest first.')),
});
export type ClusterState = z.output<typeof clusterStateSchema>;

const splitHours = z.object({ spot: amount, onDemand: amount });
const mixFields = {
  spotTaskHours: amount,
  onDemandTaskHours: amount,
  movedBySpotFallbackTaskHours: amount.check(
    z.describe('On-demand task-hours of tasks ecs-autopilot started to replace Spot work (Spot fallback).'),
  ),
  vcpuHours: splitHours,
  gbHours: splitHours,
};

const pricesSchema = z.object({ vcpuHour: amount, gbHour: amount });
export const priceTableSchema = z.object({ onDemand: pricesSchema, spot: pricesSchema });
export type Prices = z.output<typeof priceTableSchema>;

export const capacityMixSchema = z.object({
  cluster: z.string(),
  from: isoDateTime,
  to: isoDateTime,
  families: z.array(z.object({ family: z.string(), ...mixFields })),
  totals: z.object(mixFields),
  truncated: z.optional(z.boolean().check(z.describe('The window held more tasks than one answer reads.'))),
  estimatedSaving: z.object({
    currency: z.literal('USD'),
    amount: z.number().check(z.describe('What the Spot task-hours saved against the same hours on-demand.')),
    fallbackCost: z
      .number()
      .check(
        z.describe('What the Spot fallback cost: its on-demand hours at the on-demand minus the Spot price.'),
      ),
    pricesRegion: z
      .string()
      .check(z.describe('The Region whose prices were used (capacityPrices, or the default).')),
    prices: priceTableSchema,
  }),
});
export type CapacityMix = z.output<typeof capacityMixSchema>;

// ---------- where a task runs ----------

const FARGATE_PROVIDERS = new Set(['FARGATE', 'FARGATE_SPOT']);

/**
 * A task's capacity: its provider (or launch type), Fargate or EC2, Spot or on-demand. A provider is Spot
 * when it is FARGATE_SPOT or the stage maps it to an on-demand counterpart (spotToOnDemand): ECS does not say
 * whether an Auto Scaling group provider buys Spot.
 */
export function capacityOf(
  task: { capacityProviderName?: string; launchType?: string },
  cluster: string,
  mapping: SpotMapping,
): Capacity {
  const name = task.capacityProviderName ?? task.launchType ?? 'unknown';
  const fargate = FARGATE_PROVIDERS.has(name) || task.launchType === 'FARGATE';
  const spot = task.capacityProviderName !== undefined && onDemandFor(name, cluster, mapping) !== undefined;
  return { name, compute: fargate ? 'fargate' : 'ec2', spot };
}

/** A task as ECS lists it, with what the state counts it by. */
export interface LiveTask {
  taskArn: string;
  family: string;
  lastStatus: string;
  capacityProviderName?: string;
  launchType?: string;
}

const PENDING_STATUSES = new Set(['PROVISIONING', 'PENDING', 'ACTIVATING']);

function tally<K>(map: Map<K, { running: number; pending: number }>, key: K, status: string): void {
  const counts = map.get(key) ?? { running: 0, pending: 0 };
  if (status === 'RUNNING') counts.running += 1;
  else if (PENDING_STATUSES.has(status)) counts.pending += 1;
  map.set(key, counts);
}

/** Running and pending tasks, in all, by family and by capacity (largest first). */
export function taskCounts(tasks: readonly LiveTask[], cluster: string, mapping: SpotMapping) {
  const families = new Map<string, { running: number; pending: number }>();
  const capacities = new Map<string, { running: number; pending: number }>();
  const capacityByName = new Map<string, Capacity>();
  let running = 0;
  let pending = 0;
  for (const t of tasks) {
    if (t.lastStatus === 'RUNNING') running += 1;
    else if (PENDING_STATUSES.has(t.lastStatus)) pending += 1;
    else continue;
    const capacity = capacityOf(t, cluster, mapping);
    capacityByName.set(capacity.name, capacity);
    tally(families, t.family, t.lastStatus);
    tally(capacities, capacity.name, t.lastStatus);
  }
  const bySize = (a: { running: number; pending: number }, b: { running: number; pending: number }) =>
    b.running + b.pending - (a.running + a.pending);
  return {
    running,
    pending,
    byFamily: [...families].map(([family, c]) => ({ family, ...c })).sort(bySize),
    byCapacity: [...capacities]
      .map(([name, c]) => ({ ...(capacityByName.get(name) as Capacity), ...c }))
      .sort(bySize),
  };
}

/** Stopped tasks by classification. */
export function stoppedCounts(summaries: readonly { lastStatus: string; classification: Classification }[]) {
  const byClassification: Record<string, number> = {};
  let total = 0;
  for (const s of summaries) {
    if (s.lastStatus !== 'STOPPED') continue;
    total += 1;
    byClassification[s.classification] = (byClassification[s.classification] ?? 0) + 1;
  }
  return { total, byClassification };
}

// ---------- what the automation did ----------

/** A restart or Spot decision as the history stores it (DecisionRecord), with the family of its task. */
export interface DecidedTask {
  taskArn: string;
  family: string;
  action: string;
  reason?: string;
  decidedAt: string;
  attempt?: number;
  requestId?: string;
  replacementTaskArns?: string[];
  /** Who stopped the task, when the API did: the decision then only says "never restart it". */
  stoppedBy?: string;
}

/** Decisions that launch: a restart, or a Spot fallback. */
const LAUNCHING = new Set(['restart', 'spot-fallback']);

/** Restarts (and Spot moves) whose replacement has not started yet, and restarts given up. */
export function restartViews(decisions: readonly DecidedTask[]) {
  const view = (d: DecidedTask): RestartView => ({
    taskArn: d.taskArn,
    family: d.family,
    decidedAt: d.decidedAt,
    ...(d.attempt !== undefined && { attempt: d.attempt }),
    ...(d.reason !== undefined && { reason: d.reason }),
    ...(d.requestId !== undefined && { requestId: d.requestId }),
  });
  const newest = (a: RestartView, b: RestartView) => b.decidedAt.localeCompare(a.decidedAt);
  return {
    inFlight: decisions
      .filter((d) => LAUNCHING.has(d.action) && !d.replacementTaskArns?.length)
      .map(view)
      .sort(newest),
    exhausted: decisions
      .filter((d) => d.action === 'give-up')
      .map(view)
      .sort(newest),
  };
}

/** The automation's actions among the decisions: restarts, give-ups, Spot moves (not the "do nothing"s). */
export function automaticActions(decisions: readonly DecidedTask[]): ActionView[] {
  const actions: ActionView[] = [];
  for (const d of decisions) {
    if (d.action !== 'restart' && d.action !== 'give-up' && d.action !== 'spot-fallback') continue;
    const replaced = d.replacementTaskArns?.length ? ` -> ${d.replacementTaskArns.join(', ')}` : '';
    actions.push({
      at: d.decidedAt,
      kind: d.action,
      by: 'ecs-autopilot',
      taskArn: d.taskArn,
      family: d.family,
      ...((d.reason !== undefined || replaced) && { detail: `${d.reason ?? ''}${replaced}`.trim() }),
    });
  }
  return actions;
}

/** Newest first, at most `limit`. */
export function newestActions(actions: readonly ActionView[], limit: number): ActionView[] {
  return [...actions].sort((a, b) => b.at.localeCompare(a.at)).slice(0, limit);
}

// ---------- capacity mix and savings ----------

/** A task of the history over a window: where it ran, its size and when. */
export interface HistoricTask {
  family: string;
  capacityProviderName?: string;
  launchType?: string;
  startedBy?: string;
  /** Task-level CPU units and memory MiB, as ECS reports them (strings, e.g. "1024"). */
  cpu?: string;
  memory?: string;
  startedAt?: string;
  stoppedAt?: string;
}

const HOUR_MS = 3_600_000;

/** Hours of [start, stop) inside [from, to): a task still running counts up to `to`. */
function hoursWithin(task: HistoricTask, fromMs: number, toMs: number): number {
  if (!task.startedAt) return 0;
  const start = Math.max(Date.parse(task.startedAt), fromMs);
  const stop = Math.min(task.stoppedAt ? Date.parse(task.stoppedAt) : toMs, toMs);
  return Number.isFinite(start) && Number.isFinite(stop) && stop > start ? (stop - start) / HOUR_MS : 0;
}

const emptyMix = () => ({
  spotTaskHours: 0,
  onDemandTaskHours: 0,
  movedBySpotFallbackTaskHours: 0,
  vcpuHours: { spot: 0, onDemand: 0 },
  gbHours: { spot: 0, onDemand: 0 },
});
type Mix = ReturnType<typeof emptyMix>;

const round = (value: number, digits: number) => Number(value.toFixed(digits));
function rounded(mix: Mix): Mix {
  const r = (v: number) => round(v, 4);
  return {
    spotTaskHours: r(mix.spotTaskHours),
    onDemandTaskHours: r(mix.onDemandTaskHours),
    movedBySpotFallbackTaskHours: r(mix.movedBySpotFallbackTaskHours),
    vcpuHours: { spot: r(mix.vcpuHours.spot), onDemand: r(mix.vcpuHours.onDemand) },
    gbHours: { spot: r(mix.gbHours.spot), onDemand: r(mix.gbHours.onDemand) },
  };
}

/**
 * Task-hours on Spot and on-demand per family over [from, to), the on-demand hours of Spot fallback
 * replacements, and what Spot saved at the given prices: each Spot vCPU-hour and GB-hour at the on-demand
 * minus the Spot price. The fallback's cost is its hours at the same difference (what staying on Spot would
 * have cost less). A task without a task-level size (EC2 tasks may size only their containers) adds hours
 * but no vCPU or GB hours.
 */
export function capacityMix(
  tasks: readonly HistoricTask[],
  window: { cluster: string; fromMs: number; toMs: number },
  mapping: SpotMapping,
  prices: Prices,
) {
  const families = new Map<string, Mix>();
  const totals = emptyMix();
  let fallbackVcpu = 0;
  let fallbackGb = 0;
  for (const task of tasks) {
    const hours = hoursWithin(task, window.fromMs, window.toMs);
    if (hours === 0) continue;
    const { spot } = capacityOf(task, window.cluster, mapping);
    const vcpu = (Number(task.cpu) / 1024) * hours || 0;
    const gb = (Number(task.memory) / 1024) * hours || 0;
    const moved = !spot && isSpotFallbackLaunch(task.startedBy);
    const mix = families.get(task.family) ?? emptyMix();
    for (const m of [mix, totals]) {
      if (spot) m.spotTaskHours += hours;
      else m.onDemandTaskHours += hours;
      if (moved) m.movedBySpotFallbackTaskHours += hours;
      m.vcpuHours[spot ? 'spot' : 'onDemand'] += vcpu;
      m.gbHours[spot ? 'spot' : 'onDemand'] += gb;
    }
    families.set(task.family, mix);
    if (moved) {
      fallbackVcpu += vcpu;
      fallbackGb += gb;
    }
  }
  const vcpuGap = prices.onDemand.vcpuHour - prices.spot.vcpuHour;
  const gbGap = prices.onDemand.gbHour - prices.spot.gbHour;
  return {
    families: [...families]
      .map(([family, mix]) => ({ family, ...rounded(mix) }))
      .sort((a, b) => a.family.localeCompare(b.family)),
    totals: rounded(totals),
    saving: round(totals.vcpuHours.spot * vcpuGap + totals.gbHours.spot * gbGap, 4),
    fallbackCost: round(fallbackVcpu * vcpuGap + fallbackGb * gbGap, 4),
  };
}

/**
 * Fargate's published on-demand prices in US East (N. Virginia), Linux/x86, per vCPU-hour and GB-hour
 * (https://aws.amazon.com/fargate/pricing/). Fargate Spot is priced "up to 70%" below them and changes over
 * time: the default takes 70% off, an estimate the capacityPrices parameter should replace.
 */
export const DEFAULT_PRICES: { region: string; prices: Prices } = {
  region: 'us-east-1',
  prices: {
    onDemand: { vcpuHour: 0.04048, gbHour: 0.004445 },
    spot: { vcpuHour: 0.012144, gbHour: 0.0013335 },
  },
};

/** The prices of the stack's Region from the stage's table (capacityPrices), else the defaults. */
export function pricesFor(region: string, table: Record<string, Prices>): { region: string; prices: Prices } {
  const own = table[region];
  return own ? { region, prices: own } : DEFAULT_PRICES;
}
