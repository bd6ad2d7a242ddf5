import {
  automaticActions,
  capacityMix,
  capacityOf,
  DEFAULT_PRICES,
  pricesFor,
  restartViews,
  stoppedCounts,
  taskCounts,
} from '../../src/domain/clusterState';

const MAPPING = { prod: { 'ec2-spot': 'ec2-on-demand' } };
const HOUR = 3_600_000;
const at = (hours: number) => new Date(Date.UTC(2026, 0, 1) + hours * HOUR).toISOString();

describe('where a task runs', () => {
  it('tells Fargate from EC2 and Spot from on-demand, Spot by FARGATE_SPOT or the stage mapping', () => {
    expect(capacityOf({ capacityProviderName: 'FARGATE_SPOT' }, 'prod', MAPPING)).toEqual({
      name: 'FARGATE_SPOT',
      compute: 'fargate',
      spot: true,
    });
    expect(capacityOf({ capacityProviderName: 'FARGATE', launchType: 'FARGATE' }, 'prod', MAPPING).spot).toBe(
      false,
    );
    expect(capacityOf({ capacityProviderName: 'ec2-spot' }, 'prod', MAPPING)).toEqual({
      name: 'ec2-spot',
      compute: 'ec2',
      spot: true,
    });
    // The same provider name in a cluster the mapping does not list is not known to be Spot.
    expect(capacityOf({ capacityProviderName: 'ec2-spot' }, 'other', MAPPING).spot).toBe(false);
    expect(capacityOf({ launchType: 'EC2' }, 'prod', MAPPING)).toEqual({
      name: 'EC2',
      compute: 'ec2',
      spot: false,
    });
  });
});

describe('the cluster state', () => {
  it('counts running and pending tasks by family and capacity, largest first, and ignores stopping ones', () => {
    const task = (family: string, lastStatus: string, capacityProviderName: string) => ({
      taskArn: `arn:${family}:${lastStatus}:${Math.random()}`,
      family,
      lastStatus,
      capacityProviderName,
    });
    const counts = taskCounts(
      [
        task('web', 'RUNNING', 'FARGATE_SPOT'),
        task('web', 'RUNNING', 'FARGATE_SPOT'),
        task('web', 'PROVISIONING', 'FARGATE'),
        task('batch', 'PENDING', 'ec2-spot'),
        task('batch', 'DEACTIVATING', 'ec2-spot'),
      ],
      'prod',
      MAPPING,
    );
    expect(counts.running).toBe(2);
    expect(counts.pending).toBe(2);
    expect(counts.byFamily).toEqual([
      { family: 'web', running: 2, pending: 1 },
      { family: 'batch', running: 0, pending: 1 },
    ]);
    expect(counts.byCapacity[0]).toEqual({
      name: 'FARGATE_SPOT',
      compute: 'fargate',
      spot: true,
      running: 2,
      pending: 0,
    });
  });

  it("counts the last hour's stopped tasks by classification", () => {
    expect(
      stoppedCounts([
        { lastStatus: 'STOPPED', classification: 'failed' },
        { lastStatus: 'STOPPED', classification: 'failed' },
        { lastStatus: 'STOPPED', classification: 'spot-interrupted' },
        { lastStatus: 'RUNNING', classification: 'running' },
      ]),
    ).toEqual({ total: 3, byClassification: { failed: 2, 'spot-interrupted': 1 } });
  });

  it('keeps restarts without a replacement in flight, give-ups exhausted, and names the automation', () => {
    const decisions = [
      { taskArn: 'a', family: 'web', action: 'restart', decidedAt: at(1), attempt: 1, requestId: 'r-a' },
      { taskArn: 'b', family: 'web', action: 'restart', decidedAt: at(2), replacementTaskArns: ['b2'] },
      { taskArn: 'c', family: 'web', action: 'give-up', decidedAt: at(3), reason: 'attempts used up' },
      { taskArn: 'd', family: 'web', action: 'spot-fallback', decidedAt: at(4) },
      { taskArn: 'e', family: 'web', action: 'none', decidedAt: at(5), reason: 'stopped through the API' },
    ];
    const views = restartViews(decisions);
    expect(views.inFlight.map((r) => r.taskArn)).toEqual(['d', 'a']);
    expect(views.inFlight[1]).toMatchObject({ attempt: 1, requestId: 'r-a' });
    expect(views.exhausted.map((r) => r.taskArn)).toEqual(['c']);
    const actions = automaticActions(decisions);
    expect(actions.map((a) => a.kind)).toEqual(['restart', 'restart', 'give-up', 'spot-fallback']);
    expect(actions.every((a) => a.by === 'ecs-autopilot')).toBe(true);
    expect(actions[1]?.detail).toBe('-> b2');
  });
});

describe('the capacity mix', () => {
  const prices = {
    onDemand: { vcpuHour: 0.04, gbHour: 0.004 },
    spot: { vcpuHour: 0.01, gbHour: 0.001 },
  };
  const window = { cluster: 'prod', fromMs: Date.parse(at(0)), toMs: Date.parse(at(10)) };

  it('counts only the hours inside the window, a running task up to its end, and prices the Spot hours', () => {
    const mix = capacityMix(
      [
        // 2 h on Spot inside, 1 vCPU / 2 GB.
        {
          family: 'web',
          capacityProviderName: 'FARGATE_SPOT',
          cpu: '1024',
          memory: '2048',
          startedAt: at(1),
          stoppedAt: at(3),
        },
        // Started 2 h before the window: 1 h of it counts.
        {
          family: 'web',
          capacityProviderName: 'FARGATE',
          cpu: '1024',
          memory: '2048',
          startedAt: at(-2),
          stoppedAt: at(1),
        },
        // Still running: counted up to the window's end (4 h).
        {
          family: 'batch',
          capacityProviderName: 'FARGATE',
          cpu: '2048',
          memory: '4096',
          startedAt: at(6),
          startedBy: 'ecs-autopilot/spot',
        },
        // Never started, and entirely after the window: nothing.
        { family: 'batch', capacityProviderName: 'FARGATE' },
        { family: 'batch', capacityProviderName: 'FARGATE', startedAt: at(11), stoppedAt: at(12) },
      ],
      window,
      MAPPING,
      prices,
    );
    expect(mix.totals.spotTaskHours).toBe(2);
    expect(mix.totals.onDemandTaskHours).toBe(5);
    expect(mix.totals.movedBySpotFallbackTaskHours).toBe(4);
    expect(mix.totals.vcpuHours).toEqual({ spot: 2, onDemand: 1 + 8 });
    expect(mix.totals.gbHours).toEqual({ spot: 4, onDemand: 2 + 16 });
    // Spot saved (0.04 - 0.01) per vCPU-hour and (0.004 - 0.001) per GB-hour: 2 × 0.03 + 4 × 0.003.
    expect(mix.saving).toBeCloseTo(0.072, 6);
    // The fallback's 8 vCPU-hours and 16 GB-hours at the same differences.
    expect(mix.fallbackCost).toBeCloseTo(8 * 0.03 + 16 * 0.003, 6);
    expect(mix.families.map((f) => f.family)).toEqual(['batch', 'web']);
  });

  it('adds hours but no vCPU or GB hours for a task without a task-level size (EC2)', () => {
    const mix = capacityMix(
      [{ family: 'legacy', launchType: 'EC2', startedAt: at(0), stoppedAt: at(1) }],
      window,
      MAPPING,
      prices,
    );
    expect(mix.totals).toMatchObject({ onDemandTaskHours: 1, vcpuHours: { spot: 0, onDemand: 0 } });
    expect(mix.saving).toBe(0);
  });

  it("takes the stage's prices for its Region, else the published default", () => {
    expect(pricesFor('eu-west-1', { 'eu-west-1': prices })).toEqual({ region: 'eu-west-1', prices });
    expect(pricesFor('eu-west-1', {})).toEqual(DEFAULT_PRICES);
  });
});
