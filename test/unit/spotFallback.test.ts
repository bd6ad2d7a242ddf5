import { type Attempt, launchRequestSchema, type RunTaskInput } from '../../src/domain/launchRequest';
import { toTransition } from '../../src/domain/lifecycle';
import type { LaunchRecordView, NetworkDefaults } from '../../src/domain/restartDecision';
import {
  decideSpotFallback,
  onDemandFor,
  type SpotInputs,
  type SpotMapping,
  toOnDemand,
} from '../../src/domain/spotFallback';
import { parseTaskStateChange, type TaskStateChangeEvent } from '../../src/domain/taskEvent';
import { fixture } from '../support/fixtures';

const TASK_ID = '0f3c2b1a9d8e4f7a8b6c5d4e3f2a1b0c';
const TASK_ARN = `arn:aws:ecs:us-east-1:111122223333:task/batch-cluster/${TASK_ID}`;
const CLUSTER_ARN = 'arn:aws:ecs:us-east-1:111122223333:cluster/batch-cluster';
const WORKER_7 = 'arn:aws:ecs:us-east-1:111122223333:task-definition/worker:7';
const ORIGIN_ID = 'aaaaaaaabbbbccccddddeeeeeeeeeeee';
const ORIGIN_ARN = `arn:aws:ecs:us-east-1:111122223333:task/batch-cluster/${ORIGIN_ID}`;
const NETWORK: NonNullable<RunTaskInput['networkConfiguration']> = {
  awsvpcConfiguration: {
    subnets: ['subnet-0a1b2c3d4e5f60718'],
    securityGroups: ['sg-0123456789abcdef0'],
    assignPublicIp: 'DISABLED',
  },
};
const NETWORK_DEFAULTS: NetworkDefaults = { 'batch-cluster': NETWORK };
const JOB_OVERRIDES = {
  containerOverrides: [{ name: 'worker', environment: [{ name: 'JOB_ID', value: 'job-42' }] }],
};
const EC2_MAPPING: SpotMapping = { 'batch-cluster': { 'batch-ec2-spot': 'batch-ec2' } };
const SPOT_STOP = { stopCode: 'SpotInterruption', stoppedReason: 'Your Spot Task was interrupted.' };

/** Inputs as the restart handler builds them: the transition's identity, the event detail, the tags. */
function inputs(
  event: string | TaskStateChangeEvent = 'spot-warning-spotinterruption',
  more: Partial<SpotInputs> = {},
): SpotInputs {
  const parsed = parseTaskStateChange(typeof event === 'string' ? fixture(event) : event);
  const t = toTransition(parsed);
  return {
    taskArn: t.taskArn,
    taskId: t.taskId,
    cluster: t.cluster,
    clusterArn: t.clusterArn,
    family: t.family,
    group: t.group,
    detail: parsed.detail,
    tags: {},
    optOutFamilies: new Set(),
    mapping: {},
    networkDefaults: NETWORK_DEFAULTS,
    ...more,
  };
}

/** ec2-running, as if its capacity provider were an EC2 Auto Scaling group of Spot instances. */
function ec2Spot(): TaskStateChangeEvent {
  const event = fixture('ec2-running');
  Object.assign(event.detail, { capacityProviderName: 'batch-ec2-spot', ...SPOT_STOP });
  return event;
}

const earlierChain: Attempt[] = [
  {
    taskArn: ORIGIN_ARN,
    attempt: 0,
    exitCode: 1,
    stopCode: 'EssentialContainerExited',
    decision: 'restart',
    delaySeconds: 10,
  },
  {
    taskArn: 'arn:aws:ecs:us-east-1:111122223333:task/batch-cluster/bbbbbbbbccccddddeeeeffffffffffff',
    attempt: 1,
    exitCode: 1,
    stopCode: 'EssentialContainerExited',
    decision: 'restart',
    delaySeconds: 20,
  },
];

/** What ecs-autopilot recorded when it launched the interrupted task as the origin's second restart. */
function launchedByUs(): LaunchRecordView {
  return {
    runTask: {
      cluster: CLUSTER_ARN,
      taskDefinition: WORKER_7,
      count: 1,
      capacityProviderStrategy: [{ capacityProvider: 'FARGATE_SPOT', weight: 1 }],
      networkConfiguration: NETWORK,
      overrides: JOB_OVERRIDES,
      startedBy: `ecs-autopilot/restart/${ORIGIN_ID}/2`,
      tags: [
        { key: 'team', value: 'data' },
        { key: 'ecs-autopilot:attempt', value: '2' },
        { key: 'ecs-autopilot:origin-task', value: ORIGIN_ARN },
        { key: 'ecs-autopilot:reason', value: 'restart' },
      ],
    },
    lineage: {
      originTaskArn: ORIGIN_ARN,
      attempt: 2,
      launches: 2,
      previousTaskArn:
        'arn:aws:ecs:us-east-1:111122223333:task/batch-cluster/bbbbbbbbccccddddeeeeffffffffffff',
      chain: earlierChain,
    },
    policy: { maxAttempts: 3 },
  };
}

describe('the on-demand counterpart of a capacity provider', () => {
  it('is FARGATE for FARGATE_SPOT in any cluster, without configuration', () => {
    expect(onDemandFor('FARGATE_SPOT', 'batch-cluster', {})).toBe('FARGATE');
    expect(onDemandFor('FARGATE_SPOT', 'any-cluster', EC2_MAPPING)).toBe('FARGATE');
  });

  it('is the provider configured for an EC2 Spot Auto Scaling group provider in that cluster', () => {
    expect(onDemandFor('batch-ec2-spot', 'batch-cluster', EC2_MAPPING)).toBe('batch-ec2');
  });

  it('is undefined for an EC2 Spot provider configured only for another cluster', () => {
    expect(onDemandFor('batch-ec2-spot', 'other-cluster', EC2_MAPPING)).toBeUndefined();
  });

  it.each(['FARGATE', 'batch-ec2', 'unknown-provider'])(
    'is undefined for %s (not a known Spot provider)',
    (p) => {
      expect(onDemandFor(p, 'batch-cluster', EC2_MAPPING)).toBeUndefined();
    },
  );
});

describe('moving a RunTask input to on-demand capacity', () => {
  const base: RunTaskInput = {
    cluster: CLUSTER_ARN,
    taskDefinition: WORKER_7,
    count: 1,
    networkConfiguration: NETWORK,
    overrides: JOB_OVERRIDES,
    tags: [{ key: 'team', value: 'data' }],
  };

  it('replaces FARGATE_SPOT weight 1 by FARGATE weight 1 and keeps everything else', () => {
    const input = { ...base, capacityProviderStrategy: [{ capacityProvider: 'FARGATE_SPOT', weight: 1 }] };
    expect(toOnDemand(input, 'batch-cluster', {})).toEqual({
      ...base,
      capacityProviderStrategy: [{ capacityProvider: 'FARGATE', weight: 1 }],
    });
  });

  it('merges FARGATE_SPOT weight 3 into FARGATE weight 1 base 2 as one FARGATE item of weight 4 and base 2', () => {
    const input = {
      ...base,
      capacityProviderStrategy: [
        { capacityProvider: 'FARGATE_SPOT', weight: 3 },
        { capacityProvider: 'FARGATE', weight: 1, base: 2 },
      ],
    };
    expect(toOnDemand(input, 'batch-cluster', {})?.capacityProviderStrategy).toEqual([
      { capacityProvider: 'FARGATE', weight: 4, base: 2 },
    ]);
  });

  it('merges an EC2 Spot provider into its configured on-demand provider', () => {
    const input = {
      ...base,
      capacityProviderStrategy: [
        { capacityProvider: 'batch-ec2-spot', weight: 2 },
        { capacityProvider: 'batch-ec2', weight: 1, base: 1 },
      ],
    };
    expect(toOnDemand(input, 'batch-cluster', EC2_MAPPING)?.capacityProviderStrategy).toEqual([
      { capacityProvider: 'batch-ec2', weight: 3, base: 1 },
    ]);
  });

  it('gives a Spot item that had only a base weight 1, so the strategy still places tasks', () => {
    const input = { ...base, capacityProviderStrategy: [{ capacityProvider: 'FARGATE_SPOT', base: 1 }] };
    expect(toOnDemand(input, 'batch-cluster', {})?.capacityProviderStrategy).toEqual([
      { capacityProvider: 'FARGATE', weight: 1, base: 1 },
    ]);
  });

  it('leaves the input it was given unchanged', () => {
    const input = {
      ...base,
      capacityProviderStrategy: [
        { capacityProvider: 'FARGATE_SPOT', weight: 3 },
        { capacityProvider: 'FARGATE', weight: 1, base: 2 },
      ],
    };
    const before = structuredClone(input);
    toOnDemand(input, 'batch-cluster', {});
    expect(input).toEqual(before);
  });

  it.each([
    ['only FARGATE', [{ capacityProvider: 'FARGATE', weight: 1 }]],
    ['an on-demand EC2 provider', [{ capacityProvider: 'batch-ec2', weight: 1 }]],
    [
      'an EC2 Spot provider with no configured counterpart',
      [{ capacityProvider: 'other-ec2-spot', weight: 1 }],
    ],
  ])('is undefined for a strategy with %s', (_what, capacityProviderStrategy) => {
    expect(toOnDemand({ ...base, capacityProviderStrategy }, 'batch-cluster', EC2_MAPPING)).toBeUndefined();
  });

  it('is undefined for a launch with a launch type and no capacity provider strategy', () => {
    expect(toOnDemand({ ...base, launchType: 'FARGATE' }, 'batch-cluster', EC2_MAPPING)).toBeUndefined();
  });
});

describe('deciding the Spot fallback of an interrupted task', () => {
  it('moves a Fargate Spot task launched elsewhere to FARGATE, as launch 1 of its own lineage', () => {
    const decision = decideSpotFallback(
      inputs('spot-warning-spotinterruption', {
        tags: { team: 'data', 'aws:ecs:clusterName': 'batch-cluster', 'ecs-autopilot:attempt': '4' },
      }),
    );
    expect(decision).toEqual({
      action: 'spot-fallback',
      request: {
        requestId: `s-${TASK_ID}`,
        reason: 'spot-interruption',
        runTask: {
          cluster: CLUSTER_ARN,
          taskDefinition: WORKER_7,
          count: 1,
          capacityProviderStrategy: [{ capacityProvider: 'FARGATE', weight: 1 }],
          platformVersion: '1.4.0',
          networkConfiguration: NETWORK,
          overrides: JOB_OVERRIDES,
          group: 'family:worker',
          startedBy: `ecs-autopilot/spot/${TASK_ID}/1`,
          tags: [
            { key: 'team', value: 'data' },
            { key: 'ecs-autopilot:attempt', value: '0' },
            { key: 'ecs-autopilot:origin-task', value: TASK_ARN },
            { key: 'ecs-autopilot:reason', value: 'spot-interruption' },
          ],
        },
        lineage: {
          originTaskArn: TASK_ARN,
          attempt: 0,
          launches: 1,
          previousTaskArn: TASK_ARN,
          chain: [{ taskArn: TASK_ARN, attempt: 0, ...SPOT_STOP, decision: 'spot fallback' }],
        },
        capacityRetries: 0,
        deferSeconds: 0,
        requestedBy: 'ecs-autopilot',
      },
    });
  });

  it('produces a launch request the launcher accepts', () => {
    const decision = decideSpotFallback(inputs());
    if (decision.action !== 'spot-fallback')
      throw new Error(`expected a spot fallback, got ${decision.action}`);
    const wire = JSON.parse(JSON.stringify(decision.request));
    expect(launchRequestSchema.parse(wire)).toEqual(wire);
  });

  it('cannot move a Fargate task launched elsewhere without network defaults for its cluster', () => {
    for (const networkDefaults of [{}, { 'other-cluster': NETWORK }] as NetworkDefaults[]) {
      expect(decideSpotFallback(inputs('spot-warning-spotinterruption', { networkDefaults }))).toEqual({
        action: 'not-restartable',
        reason: 'network configuration unknown',
      });
    }
  });

  it('uses the network defaults configured for the cluster by ARN too', () => {
    const decision = decideSpotFallback(
      inputs('spot-warning-spotinterruption', { networkDefaults: { [CLUSTER_ARN]: NETWORK } }),
    );
    expect(decision).toMatchObject({
      action: 'spot-fallback',
      request: { runTask: { networkConfiguration: NETWORK } },
    });
  });

  it("keeps a schedule's startedBy when it moves a run of the schedule, so Forbid and Replace still see it", () => {
    const launch = launchedByUs();
    launch.runTask.startedBy = 'ecs-autopilot/schedule/nightly-etl';
    const decision = decideSpotFallback(inputs('spot-warning-spotinterruption', { launch }));
    if (decision.action !== 'spot-fallback')
      throw new Error(`expected spot-fallback, got ${decision.action}`);
    expect(decision.request.runTask.startedBy).toBe('ecs-autopilot/schedule/nightly-etl');
  });

  it('moves a task it launched itself from the recorded input, keeping its origin and attempt and counting the launch', () => {
    const launch = launchedByUs();
    const decision = decideSpotFallback(
      inputs('spot-warning-spotinterruption', { launch, networkDefaults: {} }),
    );
    expect(decision).toEqual({
      action: 'spot-fallback',
      request: {
        requestId: `s-${TASK_ID}`,
        reason: 'spot-interruption',
        runTask: {
          ...launchedByUs().runTask,
          capacityProviderStrategy: [{ capacityProvider: 'FARGATE', weight: 1 }],
          startedBy: `ecs-autopilot/spot/${ORIGIN_ID}/3`,
          tags: [
            { key: 'team', value: 'data' },
            { key: 'ecs-autopilot:attempt', value: '2' },
            { key: 'ecs-autopilot:origin-task', value: ORIGIN_ARN },
            { key: 'ecs-autopilot:reason', value: 'spot-interruption' },
          ],
        },
        lineage: {
          originTaskArn: ORIGIN_ARN,
          attempt: 2,
          launches: 3,
          previousTaskArn: TASK_ARN,
          chain: [
            ...earlierChain,
            { taskArn: TASK_ARN, attempt: 2, ...SPOT_STOP, decision: 'spot fallback' },
          ],
        },
        policy: { maxAttempts: 3 },
        capacityRetries: 0,
        deferSeconds: 0,
        requestedBy: 'ecs-autopilot',
      },
    });
    expect(launch).toEqual(launchedByUs());
  });

  it('moves an EC2 Spot task to the on-demand provider configured for its cluster', () => {
    const decision = decideSpotFallback(inputs(ec2Spot(), { mapping: EC2_MAPPING }));
    expect(decision).toMatchObject({
      action: 'spot-fallback',
      request: {
        runTask: {
          capacityProviderStrategy: [{ capacityProvider: 'batch-ec2', weight: 1 }],
          startedBy: 'ecs-autopilot/spot/9a8b7c6d5e4f40312a1b2c3d4e5f6a7b/1',
        },
      },
    });
  });

  it('does nothing for an EC2 Spot task whose provider has no on-demand counterpart configured', () => {
    expect(decideSpotFallback(inputs(ec2Spot()))).toEqual({
      action: 'none',
      reason: 'no on-demand counterpart for its capacity provider',
    });
  });

  it('leaves a task of a service to the service fallback', () => {
    const event = fixture('spot-warning-spotinterruption');
    event.detail.group = 'service:web';
    expect(decideSpotFallback(inputs(event))).toEqual({
      action: 'none',
      reason: 'service task (see service fallback)',
    });
  });

  it.each(['off', 'OFF', 'Off'])('does nothing for a task tagged ecs-autopilot:spot-fallback=%s', (value) => {
    expect(
      decideSpotFallback(
        inputs('spot-warning-spotinterruption', { tags: { 'ecs-autopilot:spot-fallback': value } }),
      ),
    ).toEqual({ action: 'none', reason: 'tag ecs-autopilot:spot-fallback=off' });
  });

  it('moves a task tagged ecs-autopilot:spot-fallback=on', () => {
    const decision = decideSpotFallback(
      inputs('spot-warning-spotinterruption', { tags: { 'ecs-autopilot:spot-fallback': 'on' } }),
    );
    expect(decision.action).toBe('spot-fallback');
  });

  it('does nothing for a task whose family opted out, and moves tasks of other families', () => {
    expect(
      decideSpotFallback(inputs('spot-warning-spotinterruption', { optOutFamilies: new Set(['worker']) })),
    ).toEqual({ action: 'none', reason: 'family worker opted out' });
    expect(
      decideSpotFallback(
        inputs('spot-warning-spotinterruption', { optOutFamilies: new Set(['nightly-report']) }),
      ).action,
    ).toBe('spot-fallback');
  });
});
