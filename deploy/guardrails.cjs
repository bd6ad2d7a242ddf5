// Guardrails computed from stage parameters at package time, so that IAM, the queues and the alarms hold
// on their own, whatever the code does: the ECS statements of each function's role (scoped to the clusters
// that function acts on), who may send to the stack's queues, where alarms go, and the HTTP API's limits.
// A value that could widen a grant (a wildcard, a `${...}`) is refused here, before CloudFormation sees it.
const { splitList } = require('./lists.cjs');

const NAME = /^[A-Za-z0-9_-]{1,255}$/;
const CLUSTER_ARN = /^arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:cluster\/[A-Za-z0-9_-]{1,255}$/;
const ROLE_NAME = /^[\w+=,.@-]{1,64}$/;
const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;
const TOPIC_ARN = /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/;
const EMAIL = /^[^@\s,]+@[^@\s,]+\.[^@\s,]+$/;

function checked(param, entries, ...forms) {
  for (const entry of entries) {
    if (!forms.some((form) => form.test(entry))) throw new Error(`param ${param}: "${entry}" is not valid`);
  }
  return entries;
}

function count(param, raw, { integer, allowEmpty = false }) {
  const text = String(raw ?? '').trim();
  if (text === '' && allowEmpty) return undefined;
  const value = Number(text);
  if (text === '' || !Number.isFinite(value) || value < 0 || (integer && !Number.isInteger(value))) {
    throw new Error(`param ${param}: "${text}" is not a ${integer ? 'whole ' : ''}number of 0 or more`);
  }
  return value;
}

const ecsArn = (resource) => ({
  'Fn::Sub': `arn:\${AWS::Partition}:ecs:\${AWS::Region}:\${AWS::AccountId}:${resource}`,
});
const clusterArn = (cluster) => (cluster.startsWith('arn:') ? cluster : ecsArn(`cluster/${cluster}`));
// Task ARNs name their cluster (arn:...:task/<cluster>/<id>), the form of every task ECS starts now.
const clusterTaskArns = (cluster) =>
  cluster.startsWith('arn:') ? `${cluster.replace(':cluster/', ':task/')}/*` : ecsArn(`task/${cluster}/*`);
const roleArn = (role) =>
  role.startsWith('arn:')
    ? role
    : { 'Fn::Sub': `arn:\${AWS::Partition}:iam::\${AWS::AccountId}:role/${role}` };
const getAttArn = (logicalId) => ({ 'Fn::GetAtt': [logicalId, 'Arn'] });

/**
 * An Allow on `resource`; with `clusters` (a list), only in those clusters through the ecs:cluster key.
 * `clusters` undefined means every cluster: no condition can name "all", so none is rendered.
 */
const allow = (actions, resource, clusters) => ({
  Effect: 'Allow',
  Action: actions,
  Resource: resource,
  ...(clusters && { Condition: { ArnEquals: { 'ecs:cluster': clusters.map(clusterArn) } } }),
});

/** One Deny of every action whose condition does not hold (none when all hold). */
const denyUnless = (rules) => {
  const denied = rules.flatMap(([holds, actions]) => (holds ? [] : actions));
  return denied.length > 0 ? [{ Effect: 'Deny', Action: denied, Resource: '*' }] : [];
};

/** Tags only as RunTask creates the task, on tasks of `clusters` (by resource: see LauncherRole's policy). */
const tagAtLaunch = (clusters) => ({
  Effect: 'Allow',
  Action: ['ecs:TagResource'],
  Resource: clusters ? clusters.map(clusterTaskArns) : ecsArn('task/*'),
  Condition: { StringEquals: { 'ecs:CreateAction': 'RunTask' } },
});

/**
 * After a batched launch, each task's own lineage tags (src/domain/launchGroup.ts): TagResource on tasks of
 * `clusters`, with these two keys only (aws:TagKeys, "Controlling access based on tag keys",
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/access_tags.html#access_tags_control-tag-keys).
 */
const tagLineage = (clusters) => ({
  Effect: 'Allow',
  Action: ['ecs:TagResource'],
  Resource: clusters ? clusters.map(clusterTaskArns) : ecsArn('task/*'),
  Condition: {
    'ForAllValues:StringEquals': { 'aws:TagKeys': ['ecs-autopilot:origin-task', 'ecs-autopilot:attempt'] },
  },
});

module.exports = async ({ resolveVariable }) => {
  const param = async (name) => resolveVariable(`param:${name}`);
  const clusters = checked('clusters', splitList(await param('clusters')), NAME, CLUSTER_ARN);
  const allowedClusters = checked(
    'allowedClusters',
    splitList(await param('allowedClusters')),
    NAME,
    CLUSTER_ARN,
  );
  const allowedFamilies = checked('allowedFamilies', splitList(await param('allowedFamilies')), NAME);
  const passRoles = checked('passRoles', splitList(await param('passRoles')), ROLE_NAME, ROLE_ARN);
  const extraSenders = checked('launchQueueSenders', splitList(await param('launchQueueSenders')), ROLE_ARN);
  const alarmTopicArn = checked('alarmTopicArn', splitList(await param('alarmTopicArn')), TOPIC_ARN)[0];
  const alarmEmail = checked('alarmEmail', splitList(await param('alarmEmail')), EMAIL)[0];

  // The clusters each role acts on (undefined: every cluster). taskReactions, spotInstance and serviceEvents
  // act on the handled clusters. The launcher starts restarts and Spot moves there, and schedules and
  // run-now launches in allowedClusters: the union, unless the handled clusters are "all" (then no
  // condition can be rendered). An empty allowedClusters adds nothing: it means the API launches nothing.
  const handled = clusters.length > 0 ? clusters : undefined;
  const launcher = handled && [...new Set([...clusters, ...allowedClusters])];
  const apiLaunches = allowedClusters.length > 0 && allowedFamilies.length > 0;

  const passToTasks = passRoles.length
    ? [
        {
          Effect: 'Allow',
          Action: ['iam:PassRole'],
          Resource: passRoles.map(roleArn),
          Condition: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
        },
      ]
    : [];

  const ecsStatements = {
    taskReactions: [
      // A schedule's running tasks, before relaunching one of its runs (Forbid, Replace).
      allow(['ecs:ListTasks'], ecsArn('container-instance/*'), handled),
      allow(['ecs:DescribeTasks'], ecsArn('task/*'), handled),
    ],
    spotInstance: [
      // ListClusters has no resource-level permissions; it is called only when no clusters are configured.
      ...(handled ? [] : [{ Effect: 'Allow', Action: ['ecs:ListClusters'], Resource: '*' }]),
      // ListContainerInstances has no ecs:cluster key: its resource is the cluster itself.
      allow(['ecs:ListContainerInstances'], handled ? handled.map(clusterArn) : ecsArn('cluster/*')),
      allow(['ecs:UpdateContainerInstancesState', 'ecs:ListTasks'], ecsArn('container-instance/*'), handled),
      allow(['ecs:DescribeTasks'], ecsArn('task/*'), handled),
    ],
    serviceEvents: [allow(['ecs:DescribeServices', 'ecs:UpdateService'], ecsArn('service/*'), handled)],
    launcher: [
      allow(['ecs:ListTasks'], ecsArn('container-instance/*'), launcher),
      // StopTask: a schedule's previous run (Replace); DescribeTasks: a failed task's tags, when throttled.
      allow(['ecs:StopTask', 'ecs:DescribeTasks'], ecsArn('task/*'), launcher),
      // Restarts relaunch whatever family failed, so the launcher's task definitions are not narrowed.
      allow(['ecs:RunTask'], ecsArn('task-definition/*'), launcher),
      tagAtLaunch(launcher),
      tagLineage(launcher),
      ...passToTasks,
    ],
    // Without both allowlists the API launches nothing (403); without allowedClusters it also reads, stops
    // and scales nothing (GET /clusters/{cluster}, the actions). An explicit Deny says so to IAM as well, and
    // outweighs any Allow attached to the role later.
    api: [
      ...(apiLaunches
        ? [
            allow(
              ['ecs:RunTask'],
              allowedFamilies.map((family) => ecsArn(`task-definition/${family}:*`)),
              allowedClusters,
            ),
            tagAtLaunch(allowedClusters),
            ...passToTasks,
          ]
        : []),
      ...(allowedClusters.length > 0
        ? [
            allow(['ecs:ListTasks'], ecsArn('container-instance/*'), allowedClusters),
            allow(['ecs:StopTask', 'ecs:DescribeTasks'], ecsArn('task/*'), allowedClusters),
            allow(['ecs:DescribeServices', 'ecs:UpdateService'], ecsArn('service/*'), allowedClusters),
            // ListServices names no resource type, only the ecs:cluster condition key (Service Authorization
            // Reference, Amazon ECS: https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonelasticcontainerservice.html).
            allow(['ecs:ListServices'], '*', allowedClusters),
          ]
        : []),
      ...denyUnless([
        [apiLaunches, ['ecs:RunTask', 'ecs:StartTask']],
        [allowedClusters.length > 0, ['ecs:StopTask', 'ecs:UpdateService']],
      ]),
    ],
  };

  return {
    ecsStatements,
    // The principals (role ARNs, not sessions: aws:PrincipalArn) that may send to each queue.
    launchQueueSenders: [
      ...['TaskReactionsRole', 'SpotInstanceRole', 'LauncherRole', 'ApiRole', 'SchedulerRole'].map(getAttArn),
      ...extraSenders,
    ],
    reactionRetryQueueSenders: [getAttArn('TaskReactionsRole')],
    // Every alarm notifies the stack's topic (subscribe to it at any time), and alarmTopicArn when given.
    alarmActions: [{ Ref: 'AlarmTopic' }, ...(alarmTopicArn ? [alarmTopicArn] : [])],
    alarmSubscriptions: alarmEmail ? [{ Protocol: 'email', Endpoint: alarmEmail }] : { Ref: 'AWS::NoValue' },
    apiThrottleBurst: count('apiThrottleBurst', await param('apiThrottleBurst'), { integer: true }),
    apiThrottleRate: count('apiThrottleRate', await param('apiThrottleRate'), { integer: false }),
    apiReservedConcurrency: count('apiReservedConcurrency', await param('apiReservedConcurrency'), {
      integer: true,
      allowEmpty: true,
    }) ?? { Ref: 'AWS::NoValue' },
  };
};
