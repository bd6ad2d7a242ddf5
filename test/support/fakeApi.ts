/** A local HTTP server standing in for the stage's API: fixed answers by "METHOD /path", every request kept. */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CapacityMix, ClusterState } from '../../src/domain/clusterState';

export interface SeenRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export async function startFakeApi(answers: Record<string, { status: number; body: unknown }>) {
  const seen: SeenRequest[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (c: Buffer) => chunks.push(c));
    request.on('end', () => {
      const url = request.url ?? '/';
      seen.push({
        method: request.method ?? '',
        url,
        headers: request.headers,
        body: Buffer.concat(chunks).toString(),
      });
      const found = answers[`${request.method} ${url.split('?')[0]}`] ?? {
        status: 404,
        body: { error: 'NotFound', message: `no route ${request.method} ${url}` },
      };
      response.writeHead(found.status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(found.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const T = (minutesAgo: number) =>
  new Date(Date.parse('2026-05-14T10:00:00Z') - minutesAgo * 60_000).toISOString();
const ARN = (id: string) => `arn:aws:ecs:us-east-1:123456789012:task/prod/${id}`;

/** A cluster as GET /clusters/{cluster} answers it: Fargate, Fargate Spot and EC2 tasks, a fallback, a restart. */
export const CLUSTER_STATE: ClusterState = {
  cluster: 'prod',
  asOf: T(0),
  tasks: {
    running: 14,
    pending: 2,
    byFamily: [
      { family: 'api', running: 6, pending: 0 },
      { family: 'worker', running: 5, pending: 2 },
      { family: 'nightly-report', running: 3, pending: 0 },
    ],
    byCapacity: [
      { name: 'FARGATE_SPOT', compute: 'fargate', spot: true, running: 7, pending: 1 },
      { name: 'FARGATE', compute: 'fargate', spot: false, running: 4, pending: 0 },
      { name: 'ec2-spot', compute: 'ec2', spot: true, running: 2, pending: 1 },
      { name: 'ec2-on-demand', compute: 'ec2', spot: false, running: 1, pending: 0 },
    ],
  },
  services: [
    {
      service: 'api',
      status: 'ACTIVE',
      desiredCount: 6,
      runningCount: 6,
      pendingCount: 0,
      capacity: ['FARGATE_SPOT', 'FARGATE'],
    },
    {
      service: 'web',
      status: 'ACTIVE',
      desiredCount: 3,
      runningCount: 2,
      pendingCount: 1,
      capacity: ['FARGATE'],
      spotFallback: { onDemandSince: T(25) },
    },
  ],
  stoppedLastHour: { total: 9, byClassification: { succeeded: 5, 'failed-app': 3, 'spot-interrupted': 1 } },
  restarts: {
    inFlight: [
      { taskArn: ARN('9f1c2d3e4b5a'), family: 'worker', decidedAt: T(2), attempt: 1, reason: 'exit 1' },
    ],
    exhausted: [
      {
        taskArn: ARN('7a6b5c4d3e2f'),
        family: 'nightly-report',
        decidedAt: T(40),
        attempt: 3,
        reason: 'exhausted',
      },
    ],
  },
  breakers: [
    { family: 'worker', state: 'CLOSED', relaunchesThatFailedAgain: 1, limit: 5 },
    { family: 'nightly-report', state: 'OPEN', openUntil: T(-20), relaunchesThatFailedAgain: 5, limit: 5 },
  ],
  budgets: [
    { name: 'launchesPerClusterHour', used: 12, limit: 100, windowMinutes: 60 },
    { name: 'replacementsPerClusterHour', used: 4, limit: 30, windowMinutes: 60 },
  ],
  spotShortages: [{ provider: 'FARGATE_SPOT', fallback: 'FARGATE', until: T(-10), since: T(5) }],
  upcomingRuns: [{ schedule: 'nightly-report', at: T(-90), taskDefinition: 'nightly-report:4', count: 1 }],
  recentActions: [
    {
      at: T(2),
      kind: 'restart',
      by: 'ecs-autopilot',
      taskArn: ARN('9f1c2d3e4b5a'),
      family: 'worker',
      detail: 'attempt 1 after 10 s',
    },
    {
      at: T(25),
      kind: 'service-fallback',
      by: 'ecs-autopilot',
      service: 'web',
      detail: 'FARGATE_SPOT capacity shortage',
    },
    {
      at: T(31),
      kind: 'spot-fallback',
      by: 'ecs-autopilot',
      taskArn: ARN('5e4d3c2b1a09'),
      family: 'api',
      detail: 'moved to FARGATE',
    },
    {
      at: T(40),
      kind: 'give-up',
      by: 'ecs-autopilot',
      taskArn: ARN('7a6b5c4d3e2f'),
      family: 'nightly-report',
      detail: 'exhausted',
    },
    {
      at: T(55),
      kind: 'scale-service',
      by: 'arn:aws:iam::123456789012:user/alice',
      service: 'api',
      detail: '4 → 6',
    },
  ],
};

export const CAPACITY_MIX: CapacityMix = {
  cluster: 'prod',
  from: T(24 * 60),
  to: T(0),
  families: [
    {
      family: 'api',
      spotTaskHours: 110,
      onDemandTaskHours: 34,
      movedBySpotFallbackTaskHours: 6,
      vcpuHours: { spot: 55, onDemand: 17 },
      gbHours: { spot: 110, onDemand: 34 },
    },
    {
      family: 'worker',
      spotTaskHours: 80,
      onDemandTaskHours: 12,
      movedBySpotFallbackTaskHours: 2,
      vcpuHours: { spot: 80, onDemand: 12 },
      gbHours: { spot: 160, onDemand: 24 },
    },
  ],
  totals: {
    spotTaskHours: 190,
    onDemandTaskHours: 46,
    movedBySpotFallbackTaskHours: 8,
    vcpuHours: { spot: 135, onDemand: 29 },
    gbHours: { spot: 270, onDemand: 58 },
  },
  estimatedSaving: {
    currency: 'USD',
    amount: 5.31,
    fallbackCost: 0.22,
    pricesRegion: 'us-east-1',
    prices: {
      onDemand: { vcpuHour: 0.04048, gbHour: 0.004445 },
      spot: { vcpuHour: 0.01334, gbHour: 0.00146 },
    },
  },
};
