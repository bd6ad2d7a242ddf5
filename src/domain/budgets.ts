/**
 * Launch budgets: how many tasks ecs-autopilot may start in a rolling window, and the restart circuit
 * breaker, as pure rules over per-minute counts. The counts live in DynamoDB (src/adapters/launchBudgets.ts).
 */
export const MINUTE_MS = 60_000;

/** Launches per minute (minute = epoch minutes, as a string key), over at least the last window. */
export type BudgetUse = Record<string, number>;

const minuteOf = (ms: number) => Math.floor(ms / MINUTE_MS);

/** Launches counted in the `windowMinutes` minutes up to and including the current one. */
export function usedInWindow(use: BudgetUse, nowMs: number, windowMinutes: number): number {
  const oldest = minuteOf(nowMs) - windowMinutes + 1;
  let used = 0;
  for (const [minute, count] of Object.entries(use)) if (Number(minute) >= oldest) used += count;
  return used;
}

/** `use` with `count` more launches now, minutes older than the window dropped. */
export function withUse(use: BudgetUse, nowMs: number, count: number, windowMinutes: number): BudgetUse {
  const current = minuteOf(nowMs);
  const oldest = current - windowMinutes + 1;
  const next: BudgetUse = {};
  for (const [minute, n] of Object.entries(use)) if (Number(minute) >= oldest) next[minute] = n;
  next[String(current)] = (next[String(current)] ?? 0) + count;
  return next;
}

/** The stage's limits on what ecs-autopilot starts (parameters in serverless.yml; defaults in the README). */
export interface BudgetSettings {
  /** Tasks started per cluster per rolling hour: restarts, schedules, run-now. */
  launchesPerClusterHour: number;
  /** Tasks started per cluster per rolling hour to replace lost capacity: Spot moves, infrastructure relaunches. */
  replacementsPerClusterHour: number;
  breaker: {
    /** Relaunches that did not help (a replacement that failed again) per family and window before it opens. */
    relaunches: number;
    windowMinutes: number;
    /** How long an open breaker holds the family's restarts. */
    cooldownMinutes: number;
  };
}

const HOUR_MINUTES = 60;
const REASON_TAG = 'ecs-autopilot:reason';

interface Budgeted {
  reason: string;
  runTask: {
    cluster: string;
    taskDefinition: string;
    count: number;
    tags?: { key: string; value: string }[];
  };
  lineage?: { attempt: number };
}

/** Capacity lost to Spot or to the infrastructure is replaced, not added: it has its own, higher ceiling. */
export function isReplacement(request: Budgeted): boolean {
  if (request.reason === 'spot-interruption') return true;
  return (
    request.reason === 'restart' &&
    request.runTask.tags?.some((t) => t.key === REASON_TAG && t.value === 'infrastructure') === true
  );
}

/** Restarts of failed tasks are what the breaker holds (not Spot moves, infrastructure relaunches or new work). */
export const isBreakerGated = (request: Budgeted) => request.reason === 'restart' && !isReplacement(request);

/**
 * The breaker counts relaunches that did not help: attempt 2 and later, a replacement that failed again. A
 * first failure (attempt 1) is not counted, so an outage's wave of first failures is replaced at full speed.
 */
export const countsAgainstBreaker = (request: Budgeted) =>
  isBreakerGated(request) && (request.lineage?.attempt ?? 0) >= 2;

export interface ClusterBudget {
  /** The counter's key, and the budget's name as events and the README call it. */
  key: string;
  name: 'launchesPerClusterHour' | 'replacementsPerClusterHour';
  limit: number;
  windowMinutes: number;
}

/** A cluster's two budgets: what it may start in an hour, and what it may start to replace lost capacity. */
export function clusterBudgets(
  cluster: string,
  settings: BudgetSettings,
): { launches: ClusterBudget; replacements: ClusterBudget } {
  return {
    launches: {
      key: `cluster#${cluster}#launches`,
      name: 'launchesPerClusterHour',
      limit: settings.launchesPerClusterHour,
      windowMinutes: HOUR_MINUTES,
    },
    replacements: {
      key: `cluster#${cluster}#replacements`,
      name: 'replacementsPerClusterHour',
      limit: settings.replacementsPerClusterHour,
      windowMinutes: HOUR_MINUTES,
    },
  };
}

export function clusterBudgetFor(
  request: Budgeted,
  cluster: string,
  settings: BudgetSettings,
): ClusterBudget {
  const budgets = clusterBudgets(cluster, settings);
  return isReplacement(request) ? budgets.replacements : budgets.launches;
}

export const breakerKey = (family: string) => `breaker#${family}`;
