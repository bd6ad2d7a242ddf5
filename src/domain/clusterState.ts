/**
 * What GET /clusters/{cluster} and GET /clusters/{cluster}/capacity answer: a cluster as ECS and the history
 * see it, and its capacity mix over a window. The shapes are the API's contract (the console and the CLI read
 * them); the rules that build them are the pure functions below.
 */

/** Where a task runs: Fargate or EC2, Spot or on-demand. */
export interface Capacity {
  /** The capacity provider (FARGATE, FARGATE_SPOT, an Auto Scaling group provider), or the launch type. */
  name: string;
  compute: 'fargate' | 'ec2';
  spot: boolean;
}

export interface TaskCounts {
  running: number;
  pending: number;
}

export interface ClusterServiceView {
  service: string;
  desiredCount: number;
  runningCount: number;
  pendingCount: number;
  /** The capacity the service asks for now: its strategy's providers, or its launch type. */
  capacity: string[];
  /** Set while ecs-autopilot holds the service on on-demand after a Spot shortage. */
  spotFallback?: { onDemandSince?: string; state: string };
}

export interface RestartView {
  taskArn: string;
  family: string;
  decidedAt: string;
  attempt?: number;
  reason?: string;
  /** The launch request the decision sent (follow it with GET /launches/{requestId}). */
  requestId?: string;
}

export interface BreakerView {
  family: string;
  state: 'OPEN' | 'CLOSED';
  openUntil?: string;
  relaunchesThatFailedAgain: number;
  limit: number;
}

export interface BudgetView {
  name: 'launchesPerClusterHour' | 'replacementsPerClusterHour';
  used: number;
  limit: number;
  windowMinutes: number;
}

export interface ShortageView {
  provider: string;
  fallback: string;
  until: string;
}

export interface UpcomingRun {
  schedule: string;
  at: string;
  taskDefinition: string;
  count: number;
}

/** Something done to the cluster: by the automation (restart, Spot fallback) or by a caller (stop, scale). */
export interface ActionView {
  at: string;
  kind:
    | 'restart'
    | 'give-up'
    | 'spot-fallback'
    | 'service-fallback'
    | 'service-restore'
    | 'stop-task'
    | 'scale-service'
    | 'redeploy-service';
  /** "ecs-autopilot" for automatic actions, the caller's IAM principal for the API's. */
  by: string;
  taskArn?: string;
  service?: string;
  family?: string;
  detail?: string;
}

export interface ClusterState {
  cluster: string;
  /** When ECS was read (answers are cached a few seconds). */
  asOf: string;
  tasks: TaskCounts & {
    byFamily: ({ family: string } & TaskCounts)[];
    byCapacity: (Capacity & TaskCounts)[];
  };
  services: ClusterServiceView[];
  stoppedLastHour: { total: number; byClassification: Record<string, number> };
  restarts: { inFlight: RestartView[]; exhausted: RestartView[] };
  breakers: BreakerView[];
  budgets: BudgetView[];
  spotShortages: ShortageView[];
  upcomingRuns: UpcomingRun[];
  recentActions: ActionView[];
}

export interface CapacityMixRow {
  family: string;
  spotTaskHours: number;
  onDemandTaskHours: number;
  /** On-demand task-hours of tasks ecs-autopilot moved off Spot (Spot fallback replacements). */
  movedBySpotFallbackTaskHours: number;
  vcpuHours: { spot: number; onDemand: number };
  gbHours: { spot: number; onDemand: number };
}

export interface CapacityMix {
  cluster: string;
  from: string;
  to: string;
  families: CapacityMixRow[];
  totals: Omit<CapacityMixRow, 'family'>;
  /** What Spot saved against running the same task-hours on-demand, from the stage's price table. */
  estimatedSaving: {
    currency: 'USD';
    amount: number;
    /** What moving work off Spot cost (the fallback's on-demand hours at the on-demand minus the Spot price). */
    fallbackCost: number;
    prices: PriceTable;
  };
}

/** Per vCPU-hour and GB-hour, on-demand and Spot (Fargate's pricing dimensions; EC2 tasks by their size). */
export interface PriceTable {
  region: string;
  onDemand: { vcpuHour: number; gbHour: number };
  spot: { vcpuHour: number; gbHour: number };
}
