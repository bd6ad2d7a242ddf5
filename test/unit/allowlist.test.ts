import { allowlistFrom, type LaunchAllowlist, refusalOf } from '../../src/domain/allowlist';

const SCOPE = { partition: 'aws', region: 'us-east-1', account: '111122223333' };
const ALLOW: LaunchAllowlist = {
  clusters: new Set(['batch']),
  families: new Set(['etl']),
  taskRoles: new Set(['arn:aws:iam::111122223333:role/etl-task']),
};
const launch = (changes: Partial<Parameters<typeof refusalOf>[0]> = {}) => ({
  cluster: 'batch',
  taskDefinition: 'etl',
  ...changes,
});

describe('the launch allowlist', () => {
  it.each([
    ['a name', 'batch'],
    ['an ARN of this stack', 'arn:aws:ecs:us-east-1:111122223333:cluster/batch'],
  ])('allows an allowlisted cluster given as %s', (_, cluster) => {
    expect(refusalOf(launch({ cluster }), ALLOW, SCOPE)).toBeUndefined();
  });

  it.each([
    [
      'account',
      'arn:aws:ecs:us-east-1:999999999999:cluster/batch',
      'account 999999999999 (this stack: 111122223333)',
    ],
    [
      'Region',
      'arn:aws:ecs:eu-west-1:111122223333:cluster/batch',
      'Region eu-west-1 (this stack: us-east-1)',
    ],
    [
      'partition',
      'arn:aws-cn:ecs:us-east-1:111122223333:cluster/batch',
      'partition aws-cn (this stack: aws)',
    ],
    ['service', 'arn:aws:eks:us-east-1:111122223333:cluster/batch', 'service eks (expected ecs)'],
  ])('refuses a cluster ARN of another %s whose name is allowlisted, naming the field', (_, cluster, why) => {
    expect(refusalOf(launch({ cluster }), ALLOW, SCOPE)).toEqual({
      field: 'cluster',
      message: `cluster ${cluster} is outside this stack's scope: ${why}`,
    });
  });

  it('refuses an ARN that is not a cluster ARN even when its last segment is allowlisted', () => {
    const cluster = 'arn:aws:ecs:us-east-1:111122223333:service/batch';
    expect(refusalOf(launch({ cluster }), ALLOW, SCOPE)?.field).toBe('cluster');
  });

  it('refuses a task definition ARN of another account, and allows its own with a revision', () => {
    const foreign = 'arn:aws:ecs:us-east-1:999999999999:task-definition/etl:3';
    expect(refusalOf(launch({ taskDefinition: foreign }), ALLOW, SCOPE)).toEqual({
      field: 'taskDefinition',
      message: `task definition ${foreign} is outside this stack's scope: account 999999999999 (this stack: 111122223333)`,
    });
    const own = 'arn:aws:ecs:us-east-1:111122223333:task-definition/etl:3';
    expect(refusalOf(launch({ taskDefinition: own }), ALLOW, SCOPE)).toBeUndefined();
    expect(refusalOf(launch({ taskDefinition: 'etl:3' }), ALLOW, SCOPE)).toBeUndefined();
  });

  it('refuses a family off the list and a role override of another account', () => {
    expect(refusalOf(launch({ taskDefinition: 'admin:1' }), ALLOW, SCOPE)?.message).toBe(
      "task definition family admin is not on this stage's allowlist (allowedFamilies)",
    );
    const role = 'arn:aws:iam::999999999999:role/etl-task';
    expect(refusalOf(launch({ overrides: { taskRoleArn: role } }), ALLOW, SCOPE)).toEqual({
      field: 'overrides.taskRoleArn',
      message: `overrides.taskRoleArn ${role} is outside this stack's scope: account 999999999999 (this stack: 111122223333)`,
    });
  });
});

describe('the allowlist parameters', () => {
  it('take clusters by name or by this stack’s ARN, and task roles by name or ARN', () => {
    const allow = allowlistFrom(
      {
        clusters: ['batch', 'arn:aws:ecs:us-east-1:111122223333:cluster/etl'],
        families: ['worker'],
        taskRoles: ['etl-task', 'arn:aws:iam::111122223333:role/worker-task'],
      },
      SCOPE,
    );
    expect([...allow.clusters]).toEqual(['batch', 'etl']);
    expect([...allow.taskRoles]).toEqual([
      'arn:aws:iam::111122223333:role/etl-task',
      'arn:aws:iam::111122223333:role/worker-task',
    ]);
    expect(
      refusalOf(
        launch({ cluster: 'arn:aws:ecs:us-east-1:111122223333:cluster/etl', taskDefinition: 'worker' }),
        allow,
        SCOPE,
      ),
    ).toBeUndefined();
  });

  it('refuse, at cold start, a cluster or role of another account', () => {
    expect(() =>
      allowlistFrom(
        { clusters: ['arn:aws:ecs:us-east-1:999999999999:cluster/batch'], families: [], taskRoles: [] },
        SCOPE,
      ),
    ).toThrow(
      'allowedClusters: arn:aws:ecs:us-east-1:999999999999:cluster/batch is not a cluster of this stack',
    );
    expect(() =>
      allowlistFrom({ clusters: [], families: [], taskRoles: ['arn:aws:iam::999999999999:role/x'] }, SCOPE),
    ).toThrow('allowedTaskRoles');
  });
});
