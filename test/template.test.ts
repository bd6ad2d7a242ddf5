/** Checks over the packaged CloudFormation template: what `sls deploy` would actually create. */
import { matchesPattern, validatePattern } from '../local/patterns';
import { type CfnTemplate, loadTemplate, resourcesOfType } from '../local/template';
import { needsReaction } from '../src/app/taskReactions';
import { toTransition } from '../src/domain/lifecycle';
import { parseTaskStateChange } from '../src/domain/taskEvent';
import { FIXTURE_NAMES, fixture } from './support/fixtures';

let template: CfnTemplate;
beforeAll(() => {
  template = loadTemplate();
});

const resource = (id: string) => {
  const r = template.Resources[id];
  if (!r) throw new Error(`template has no resource ${id}`);
  return r;
};

type Statement = {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
};
function statementsOf(roleId: string, from: CfnTemplate = template): Statement[] {
  const role = from.Resources[roleId];
  if (!role) throw new Error(`template has no resource ${roleId}`);
  return (role.Properties?.Policies ?? []).flatMap(
    (p: { PolicyDocument: { Statement: Statement[] } }) => p.PolicyDocument.Statement,
  );
}

const actionsOf = (s: Statement) => [s.Action].flat();
const ecsArn = (path: string) => ({
  'Fn::Sub': `arn:\${AWS::Partition}:ecs:\${AWS::Region}:\${AWS::AccountId}:${path}`,
});
const getAttArn = (id: string) => ({ 'Fn::GetAtt': [id, 'Arn'] });
const FUNCTION_ROLES = [
  'TaskEventsRole',
  'TaskReactionsRole',
  'SpotInstanceRole',
  'ServiceEventsRole',
  'LauncherRole',
  'ApiRole',
];
/** What a role may do to ECS: its Allow statements with an ecs: action. */
const ecsAllows = (roleId: string, from: CfnTemplate = template) =>
  statementsOf(roleId, from).filter(
    (s) => s.Effect === 'Allow' && actionsOf(s).some((a) => a.startsWith('ecs:')),
  );
const passRoleToTasks = (s: Statement) =>
  s.Effect === 'Allow' &&
  actionsOf(s).includes('iam:PassRole') &&
  JSON.stringify(s.Condition).includes('ecs-tasks.amazonaws.com');

describe('packaged stack', () => {
  it('runs the periodic service Spot check every 5 minutes, with the execution id and time filled in', () => {
    const [schedule] = resourcesOfType(template, 'AWS::Scheduler::Schedule').filter(
      ([, r]) => r.Properties?.Target?.Arn?.['Fn::GetAtt']?.[0] === 'ServiceEventsLambdaFunction',
    );
    expect(schedule?.[1].Properties).toMatchObject({
      ScheduleExpression: 'rate(5 minutes)',
      State: 'ENABLED',
    });
    expect(JSON.parse(schedule?.[1].Properties?.Target?.Input)).toEqual({
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      id: '<aws.scheduler.execution-id>',
      time: '<aws.scheduler.scheduled-time>',
    });
  });

  /** The EventBridge rule whose target is the given function. */
  function ruleFor(functionId: string) {
    const rule = resourcesOfType(template, 'AWS::Events::Rule').find(
      ([, r]) => r.Properties?.Targets?.[0]?.Arn?.['Fn::GetAtt']?.[0] === functionId,
    );
    if (!rule) throw new Error(`no rule targets ${functionId}`);
    return rule[1].Properties ?? {};
  }

  it('routes every ECS Task State Change event to taskEvents, with retries and a DLQ', () => {
    const props = ruleFor('TaskEventsLambdaFunction');
    expect(props.EventPattern).toEqual({ source: ['aws.ecs'], 'detail-type': ['ECS Task State Change'] });
    expect(props.Targets[0].DeadLetterConfig.Arn).toEqual({ 'Fn::GetAtt': ['TaskEventsDlq', 'Arn'] });
    expect(props.Targets[0].RetryPolicy.MaximumRetryAttempts).toBeGreaterThan(0);
  });

  it('routes to taskReactions exactly the task events it reacts to (STOPPED, Spot interruptions)', () => {
    const props = ruleFor('TaskReactionsLambdaFunction');
    expect(validatePattern(props.EventPattern)).toBeUndefined();
    expect(props.Targets[0].DeadLetterConfig.Arn).toEqual({ 'Fn::GetAtt': ['TaskEventsDlq', 'Arn'] });
    expect(props.Targets[0].RetryPolicy.MaximumRetryAttempts).toBeGreaterThan(0);
    const names = FIXTURE_NAMES;
    const routed = names.filter((name) => matchesPattern(props.EventPattern, fixture(name)));
    const wanted = names.filter((name) => needsReaction(toTransition(parseTaskStateChange(fixture(name)))));
    expect([...routed].sort()).toEqual([...wanted].sort());
    // Both Spot warning forms and every kind of stop are among them.
    expect(routed).toEqual(
      expect.arrayContaining([
        'spot-warning-spotinterruption',
        'spot-warning-terminationnotice',
        'stopped-exit-1',
      ]),
    );
    expect(routed).not.toContain('running');
  });

  it('sends taskEvents and taskReactions invocations that keep failing to the DLQ', () => {
    for (const fn of ['TaskEventsLambdaFunction', 'TaskReactionsLambdaFunction']) {
      const config = resourcesOfType(template, 'AWS::Lambda::EventInvokeConfig').find(
        ([, r]) => r.Properties?.FunctionName?.Ref === fn,
      );
      expect(config?.[1].Properties?.DestinationConfig.OnFailure.Destination).toEqual({
        'Fn::GetAtt': ['TaskEventsDlq', 'Arn'],
      });
    }
    expect(
      resourcesOfType(template, 'AWS::CloudWatch::Alarm').map(
        ([, r]) => r.Properties?.Dimensions?.[0]?.Value,
      ),
    ).toContainEqual({
      'Fn::GetAtt': ['TaskEventsDlq', 'QueueName'],
    });
  });

  it('keeps history in one on-demand table with TTL and point-in-time recovery', () => {
    const tables = resourcesOfType(template, 'AWS::DynamoDB::Table');
    expect(tables).toHaveLength(1);
    const props = resource('Table').Properties ?? {};
    expect(props.BillingMode).toBe('PAY_PER_REQUEST');
    expect(props.TimeToLiveSpecification).toEqual({ AttributeName: 'expiresAt', Enabled: true });
    expect(props.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
    expect(props.GlobalSecondaryIndexes.map((i: { IndexName: string }) => i.IndexName)).toEqual([
      'byCluster',
      'byClassification',
    ]);
  });

  it('runs every function on nodejs22.x arm64', () => {
    const functions = resourcesOfType(template, 'AWS::Lambda::Function');
    expect(functions.length).toBeGreaterThanOrEqual(2);
    for (const [, fn] of functions) {
      expect(fn.Properties?.Runtime).toBe('nodejs22.x');
      expect(fn.Properties?.Architectures).toEqual(['arm64']);
    }
  });

  it('requires AWS_IAM on every HTTP route', () => {
    const routes = resourcesOfType(template, 'AWS::ApiGatewayV2::Route');
    expect(routes.map(([, r]) => r.Properties?.RouteKey)).toEqual(
      expect.arrayContaining(['GET /tasks', 'GET /tasks/{taskId}']),
    );
    for (const [, route] of routes) expect(route.Properties?.AuthorizationType).toBe('AWS_IAM');
  });

  it('gives every function its own role', () => {
    const roles = resourcesOfType(template, 'AWS::Lambda::Function').map(([, fn]) =>
      JSON.stringify(fn.Properties?.Role),
    );
    expect(new Set(roles).size).toBe(roles.length);
  });

  it('grants no wildcard action and names a resource in every statement', () => {
    // Actions that AWS does not scope to resources; they must stand alone in their statement.
    const unscoped = new Set(['ecs:ListClusters']);
    const statements = resourcesOfType(template, 'AWS::IAM::Role')
      .flatMap(([id]) => statementsOf(id))
      .filter((s) => s.Effect === 'Allow');
    expect(statements.length).toBeGreaterThan(0);
    for (const s of statements) {
      const actions = [s.Action].flat();
      for (const action of actions) expect(action).not.toMatch(/\*/);
      if (JSON.stringify(s.Resource) === '"*"') expect(actions.every((a) => unscoped.has(a))).toBe(true);
    }
  });

  it('gives taskEvents only what the lifecycle log uses', () => {
    const statements = statementsOf('TaskEventsRole');
    expect(statements.flatMap((s) => [s.Action].flat()).sort()).toEqual([
      'dynamodb:PutItem',
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      'sqs:SendMessage',
    ]);
    const send = statements.find((s) => [s.Action].flat().includes('sqs:SendMessage'));
    expect(send?.Resource).toEqual({ 'Fn::GetAtt': ['TaskEventsDlq', 'Arn'] });
  });

  it('gives taskReactions only what the restart and Spot decisions use', () => {
    const actions = statementsOf('TaskReactionsRole').flatMap((s) => [s.Action].flat());
    // ListTasks and DeleteItem: a schedule's runs are relaunched under its launch lease (Forbid, Replace).
    expect(actions.sort()).toEqual([
      'dynamodb:DeleteItem',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
      'ecs:DescribeTasks',
      'ecs:ListTasks',
      'events:PutEvents',
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      'sqs:DeleteMessage',
      'sqs:GetQueueAttributes',
      'sqs:ReceiveMessage',
      'sqs:SendMessage',
    ]);
    // Receiving only from its own retry queue.
    const receive = statementsOf('TaskReactionsRole').find((s) =>
      [s.Action].flat().includes('sqs:ReceiveMessage'),
    );
    expect(receive?.Resource).toEqual({ 'Fn::GetAtt': ['ReactionRetryQueue', 'Arn'] });
  });

  /** The event source mapping that reads `queue`. */
  const mappingOf = (queue: string) =>
    resourcesOfType(template, 'AWS::Lambda::EventSourceMapping').find(
      ([, r]) =>
        JSON.stringify(r.Properties?.EventSourceArn) === JSON.stringify({ 'Fn::GetAtt': [queue, 'Arn'] }),
    )?.[1];

  it('brings back a reaction that had to wait through a retry queue, dead-lettered after 3 receives', () => {
    const mapping = mappingOf('ReactionRetryQueue');
    expect(mapping?.Properties).toMatchObject({
      FunctionName: { 'Fn::GetAtt': ['TaskReactionsLambdaFunction', 'Arn'] },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    expect(resource('ReactionRetryQueue').Properties).toMatchObject({
      VisibilityTimeout: 60,
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': ['TaskEventsDlq', 'Arn'] }, maxReceiveCount: 3 },
    });
    const env = resource('TaskReactionsLambdaFunction').Properties?.Environment?.Variables;
    expect(env?.REACTION_RETRY_QUEUE_URL).toEqual({ Ref: 'ReactionRetryQueue' });
  });

  it('lets the launcher run tasks, pass only named roles to ECS tasks, and tag only at launch', () => {
    const statements = statementsOf('LauncherRole');
    const actions = statements.flatMap((s) => [s.Action].flat());
    expect(actions).toEqual(expect.arrayContaining(['ecs:RunTask', 'ecs:TagResource', 'iam:PassRole']));
    const passRole = statements.find((s) => [s.Action].flat().includes('iam:PassRole')) as Statement & {
      Condition: unknown;
    };
    expect(passRole.Condition).toEqual({
      StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' },
    });
    expect(JSON.stringify(passRole.Resource)).toContain(':role/ecsTaskExecutionRole');
    const tag = statements.find((s) => [s.Action].flat().includes('ecs:TagResource')) as Statement & {
      Condition: unknown;
    };
    expect(tag.Condition).toEqual({ StringEquals: { 'ecs:CreateAction': 'RunTask' } });
  });

  it('gives the launcher only the DynamoDB actions it uses, on the table alone', () => {
    const dynamo = statementsOf('LauncherRole').filter((s) =>
      [s.Action].flat().some((a) => a.startsWith('dynamodb:')),
    );
    // DeleteItem releases a schedule's launch lease; there is no Query or Scan on the launch path.
    expect(dynamo.flatMap((s) => [s.Action].flat()).sort()).toEqual([
      'dynamodb:BatchGetItem',
      'dynamodb:DeleteItem',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
    ]);
    for (const s of dynamo) expect(s.Resource).toEqual({ 'Fn::GetAtt': ['Table', 'Arn'] });
  });

  it("lets the launcher use only its own queue: the event source mapping's three actions and its requeue", () => {
    const sqsStatements = statementsOf('LauncherRole').filter((s) =>
      [s.Action].flat().some((a) => a.startsWith('sqs:')),
    );
    expect(sqsStatements.flatMap((s) => [s.Action].flat()).sort()).toEqual([
      'sqs:DeleteMessage',
      'sqs:GetQueueAttributes',
      'sqs:ReceiveMessage',
      'sqs:SendMessage',
    ]);
    for (const s of sqsStatements) expect(s.Resource).toEqual({ 'Fn::GetAtt': ['LaunchQueue', 'Arn'] });
  });

  it('feeds the launcher from the launch queue in bounded batches, reporting partial failures', () => {
    const mapping = mappingOf('LaunchQueue');
    expect(mapping?.Properties).toMatchObject({
      EventSourceArn: { 'Fn::GetAtt': ['LaunchQueue', 'Arn'] },
      FunctionName: { 'Fn::GetAtt': ['LauncherLambdaFunction', 'Arn'] },
      BatchSize: 10,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 5 },
    });
    expect(resource('LaunchQueue').Properties?.RedrivePolicy.deadLetterTargetArn).toEqual({
      'Fn::GetAtt': ['LaunchDlq', 'Arn'],
    });
  });

  it('lets the API pass only the scheduler role to Scheduler, and only manage its own schedule group', () => {
    const statements = statementsOf('ApiRole');
    const passToScheduler = statements.find(
      (s) =>
        [s.Action].flat().includes('iam:PassRole') &&
        JSON.stringify((s as unknown as { Condition: unknown }).Condition).includes(
          'scheduler.amazonaws.com',
        ),
    );
    expect(passToScheduler?.Resource).toEqual({ 'Fn::GetAtt': ['SchedulerRole', 'Arn'] });
    const scheduler = statements.find((s) => [s.Action].flat().includes('scheduler:CreateSchedule'));
    expect(JSON.stringify(scheduler?.Resource)).toContain(['schedule/$', '{ScheduleGroup}/*'].join(''));
    const routes = resourcesOfType(template, 'AWS::ApiGatewayV2::Route').map(
      ([, r]) => r.Properties?.RouteKey,
    );
    expect(routes).toEqual(
      expect.arrayContaining([
        'POST /schedules',
        'GET /schedules',
        'PATCH /schedules/{name}',
        'DELETE /schedules/{name}',
        'POST /schedules/{name}/runs',
        'GET /schedules/{name}/runs',
        'POST /tasks',
        'GET /openapi.json',
        'GET /services/{cluster}/{service}',
      ]),
    );
  });
});

describe('guardrails, on a stage without cluster lists or allowlists', () => {
  it('scopes the handlers to no cluster (every cluster is handled) and lets the API launch nothing', () => {
    for (const role of FUNCTION_ROLES.filter((r) => r !== 'ApiRole')) {
      for (const s of ecsAllows(role)) expect(s.Condition?.ArnEquals).toBeUndefined();
    }
    // The Spot handler finds the instance's cluster among all of them.
    expect(ecsAllows('SpotInstanceRole').flatMap(actionsOf)).toContain('ecs:ListClusters');
    // allowedClusters and allowedFamilies are empty: the API may not start, stop or list tasks, scale
    // services, nor pass roles.
    const api = statementsOf('ApiRole');
    expect(ecsAllows('ApiRole')).toEqual([]);
    expect(api.filter(passRoleToTasks)).toEqual([]);
    expect(api).toContainEqual({
      Effect: 'Deny',
      Action: expect.arrayContaining(['ecs:RunTask', 'ecs:StartTask', 'ecs:StopTask', 'ecs:UpdateService']),
      Resource: '*',
    });
  });

  /** The queue policy of `queue`: its single Deny statement. */
  function denyOf(queue: string, from: CfnTemplate = template) {
    const policies = resourcesOfType(from, 'AWS::SQS::QueuePolicy').filter(
      ([, r]) => JSON.stringify(r.Properties?.Queues) === JSON.stringify([{ Ref: queue }]),
    );
    expect(policies).toHaveLength(1);
    const statements = policies[0]?.[1].Properties?.PolicyDocument.Statement as (Statement & {
      Principal: unknown;
    })[];
    expect(statements).toHaveLength(1);
    return statements[0];
  }

  /** The roles whose own policies let them send to `queue`. */
  const sendersOf = (queue: string) =>
    resourcesOfType(template, 'AWS::IAM::Role')
      .map(([id]) => id)
      .filter((id) =>
        statementsOf(id).some(
          (s) =>
            s.Effect === 'Allow' &&
            actionsOf(s).includes('sqs:SendMessage') &&
            JSON.stringify(s.Resource).includes(JSON.stringify(getAttArn(queue))),
        ),
      );

  it("closes the launch and retry queues to every principal but the stack's own senders", () => {
    for (const queue of ['LaunchQueue', 'ReactionRetryQueue']) {
      const deny = denyOf(queue);
      // Everyone else, whatever their identity policies allow; only SendMessage, so the event source
      // mapping still receives and deletes.
      expect(deny).toMatchObject({
        Effect: 'Deny',
        Principal: '*',
        Action: 'sqs:SendMessage',
        Resource: getAttArn(queue),
      });
      const allowed = deny?.Condition?.ArnNotEquals?.['aws:PrincipalArn'] as { 'Fn::GetAtt': string[] }[];
      // Exactly the roles the stack lets send there: none is locked out, no one else is let in.
      expect(allowed.map((arn) => arn['Fn::GetAtt'][0]).sort()).toEqual(sendersOf(queue).sort());
    }
    expect(sendersOf('LaunchQueue').sort()).toEqual([
      'ApiRole',
      'LauncherRole',
      'SchedulerRole',
      'SpotInstanceRole',
      'TaskReactionsRole',
    ]);
    expect(sendersOf('ReactionRetryQueue')).toEqual(['TaskReactionsRole']);
  });

  it('pages the stack alarm topic from every alarm: both DLQs, the restart breaker, the launch budget, launcher errors, sustained throttling', () => {
    const alarms = resourcesOfType(template, 'AWS::CloudWatch::Alarm').map(([, r]) => r.Properties ?? {});
    for (const alarm of alarms) {
      expect(alarm.AlarmActions).toEqual([{ Ref: 'AlarmTopic' }]);
      expect(alarm.TreatMissingData).toBe('notBreaching');
    }
    expect(resource('AlarmTopic')).toEqual({
      Type: 'AWS::SNS::Topic',
      Properties: { Subscription: { Ref: 'AWS::NoValue' } },
    });
    const watched = alarms.map((a) => `${a.Namespace} ${a.MetricName} ${JSON.stringify(a.Dimensions)}`);
    const service = JSON.stringify([{ Name: 'service', Value: 'ecs-autopilot' }]);
    expect(watched.sort()).toEqual(
      [
        `AWS/SQS ApproximateNumberOfMessagesVisible ${JSON.stringify([{ Name: 'QueueName', Value: { 'Fn::GetAtt': ['LaunchDlq', 'QueueName'] } }])}`,
        `AWS/SQS ApproximateNumberOfMessagesVisible ${JSON.stringify([{ Name: 'QueueName', Value: { 'Fn::GetAtt': ['TaskEventsDlq', 'QueueName'] } }])}`,
        `AWS/Lambda Errors ${JSON.stringify([{ Name: 'FunctionName', Value: { Ref: 'LauncherLambdaFunction' } }])}`,
        `EcsAutopilot RestartBreakerOpened ${service}`,
        `EcsAutopilot LaunchBudgetExhausted ${service}`,
        `EcsAutopilot LaunchThrottled ${service}`,
      ].sort(),
    );
    // Throttling pages only when it lasts: three 5-minute periods in a row.
    const throttled = alarms.find((a) => a.MetricName === 'LaunchThrottled');
    expect(throttled).toMatchObject({
      Statistic: 'Sum',
      Period: 300,
      EvaluationPeriods: 3,
      DatapointsToAlarm: 3,
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
    });
    expect(template.Outputs?.AlarmTopicArn).toEqual({ Value: { Ref: 'AlarmTopic' } });
  });

  it('logs every HTTP API request with its IAM caller, for as long as the function logs are kept', () => {
    const stage = resource('HttpApiStage').Properties ?? {};
    expect(stage.AccessLogSettings.DestinationArn).toEqual({ 'Fn::GetAtt': ['HttpApiLogGroup', 'Arn'] });
    expect(JSON.parse(stage.AccessLogSettings.Format)).toMatchObject({
      requestId: '$context.requestId',
      ip: '$context.identity.sourceIp',
      caller: '$context.identity.userArn',
      routeKey: '$context.routeKey',
      status: '$context.status',
      responseLatency: '$context.responseLatency',
      integrationError: '$context.integrationErrorMessage',
    });
    const retention = resource('ApiLogGroup').Properties?.RetentionInDays;
    expect(retention).toBe(30);
    expect(resource('HttpApiLogGroup').Properties?.RetentionInDays).toBe(retention);
  });

  it('throttles the default route (burst 50, 20 a second) and leaves the api function unreserved', () => {
    expect(resource('HttpApiStage').Properties?.DefaultRouteSettings).toEqual({
      DetailedMetricsEnabled: false,
      ThrottlingBurstLimit: 50,
      ThrottlingRateLimit: 20,
    });
    expect(resource('ApiLambdaFunction').Properties?.ReservedConcurrentExecutions).toEqual({
      Ref: 'AWS::NoValue',
    });
  });

  it('lets an IAM policy grant every HTTP route on its own', () => {
    // IAM authorizes a request against arn:...:execute-api:<region>:<account>:<api-id>/<stage>/<METHOD>/<path>,
    // where a policy's `*` matches any run of characters, "/" included.
    const routeKeys = resourcesOfType(template, 'AWS::ApiGatewayV2::Route').map(([, r]) => {
      expect(r.Properties?.AuthorizationType).toBe('AWS_IAM');
      return r.Properties?.RouteKey as string;
    });
    expect(new Set(routeKeys).size).toBe(routeKeys.length);
    const [method, path] = [(key: string) => key.split(' ')[0], (key: string) => key.split(' ')[1] ?? ''];
    /** The resource a policy names to grant the route: path parameters become `*`. */
    const policyResource = (key: string) => `${method(key)}${path(key).replace(/\{[^}]+\}/g, '*')}`;
    /** A request the route answers. */
    const request = (key: string) => `${method(key)}${path(key).replace(/\{[^}]+\}/g, 'x1')}`;
    const grants = (pattern: string) => {
      const glob = new RegExp(
        `^${pattern
          .split('*')
          .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
          .join('.*')}$`,
      );
      return routeKeys.filter((key) => glob.test(request(key)));
    };
    expect(new Set(routeKeys.map(policyResource)).size).toBe(routeKeys.length);
    for (const key of routeKeys) {
      // An Allow on the route's resource, and a Deny on the resource of each other route the Allow reaches.
      const reached = grants(policyResource(key));
      const denied = new Set(
        reached.filter((other) => other !== key).flatMap((other) => grants(policyResource(other))),
      );
      expect(reached.filter((k) => !denied.has(k))).toEqual([key]);
    }
  });
});

describe('guardrails, on a stage with cluster lists and allowlists', () => {
  let staged: CfnTemplate;
  beforeAll(() => {
    staged = loadTemplate({
      params: [
        'clusters=batch,etl',
        'allowedClusters=batch,reports',
        'allowedFamilies=etl',
        // serverless reads `--param=passRoles=` as malformed; a trailing space is trimmed to the empty value.
        'passRoles= ',
        'alarmEmail=ops@example.com',
        'alarmTopicArn=arn:aws:sns:us-east-1:111122223333:ops-pager',
        'launchQueueSenders=arn:aws:iam::111122223333:role/ops-redrive',
        'apiThrottleRate=5',
        'apiReservedConcurrency=10',
      ],
    });
  }, 60_000);

  // The ECS actions the Service Authorization Reference lists with the ecs:cluster condition key.
  const CLUSTER_KEYED = new Set([
    'ecs:RunTask',
    'ecs:StartTask',
    'ecs:StopTask',
    'ecs:DescribeTasks',
    'ecs:ListTasks',
    'ecs:UpdateService',
    'ecs:DescribeServices',
    'ecs:ListServices',
    'ecs:UpdateContainerInstancesState',
  ]);
  const clusters = (...names: string[]) => names.map((name) => ecsArn(`cluster/${name}`));

  it('conditions every ECS statement that supports ecs:cluster on the clusters its function acts on', () => {
    const actsOn: Record<string, string[]> = {
      TaskReactionsRole: ['batch', 'etl'],
      SpotInstanceRole: ['batch', 'etl'],
      ServiceEventsRole: ['batch', 'etl'],
      // Restarts and Spot moves in the handled clusters, schedules and run-now in allowedClusters.
      LauncherRole: ['batch', 'etl', 'reports'],
      ApiRole: ['batch', 'reports'],
    };
    for (const [role, names] of Object.entries(actsOn)) {
      const statements = ecsAllows(role, staged);
      expect(statements.length).toBeGreaterThan(0);
      for (const s of statements) {
        if (actionsOf(s).some((a) => CLUSTER_KEYED.has(a))) {
          expect(actionsOf(s).every((a) => CLUSTER_KEYED.has(a))).toBe(true);
          expect(s.Condition?.ArnEquals).toEqual({ 'ecs:cluster': clusters(...names) });
        } else if (actionsOf(s).includes('ecs:TagResource')) {
          // Scoped by resource: the clusters' task ARNs; only as RunTask creates the task, or (the launcher,
          // after a batched launch) only the two lineage tags.
          expect(s.Resource).toEqual(names.map((name) => ecsArn(`task/${name}/*`)));
          expect([
            { StringEquals: { 'ecs:CreateAction': 'RunTask' } },
            ...(role === 'LauncherRole'
              ? [
                  {
                    'ForAllValues:StringEquals': {
                      'aws:TagKeys': ['ecs-autopilot:origin-task', 'ecs-autopilot:attempt'],
                    },
                  },
                ]
              : []),
          ]).toContainEqual(s.Condition);
        } else {
          // ListContainerInstances has no ecs:cluster key: its resource is the cluster.
          expect(actionsOf(s)).toEqual(['ecs:ListContainerInstances']);
          expect(s.Resource).toEqual(clusters(...names));
        }
      }
    }
    // The clusters are named: the Spot handler has no need to list them all.
    expect(ecsAllows('SpotInstanceRole', staged).flatMap(actionsOf)).not.toContain('ecs:ListClusters');
  });

  it("lets the API run only the allowlisted families' task definitions", () => {
    const runTask = ecsAllows('ApiRole', staged).filter((s) => actionsOf(s).includes('ecs:RunTask'));
    expect(runTask).toHaveLength(1);
    expect(runTask[0]?.Resource).toEqual([ecsArn('task-definition/etl:*')]);
  });

  it('renders iam:PassRole to ECS tasks only when passRoles names a role', () => {
    for (const role of FUNCTION_ROLES) expect(statementsOf(role, staged).filter(passRoleToTasks)).toEqual([]);
    // The API still passes its scheduler role to EventBridge Scheduler.
    expect(statementsOf('ApiRole', staged).filter((s) => actionsOf(s).includes('iam:PassRole'))).toEqual([
      expect.objectContaining({
        Resource: getAttArn('SchedulerRole'),
        Condition: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
      }),
    ]);
  });

  it('pages the given topic too, subscribes the alarm email, and admits the extra launch queue senders', () => {
    for (const [, alarm] of resourcesOfType(staged, 'AWS::CloudWatch::Alarm')) {
      expect(alarm.Properties?.AlarmActions).toEqual([
        { Ref: 'AlarmTopic' },
        'arn:aws:sns:us-east-1:111122223333:ops-pager',
      ]);
    }
    expect(staged.Resources.AlarmTopic?.Properties?.Subscription).toEqual([
      { Protocol: 'email', Endpoint: 'ops@example.com' },
    ]);
    const launchQueuePolicy = resourcesOfType(staged, 'AWS::SQS::QueuePolicy').find(
      ([, r]) => JSON.stringify(r.Properties?.Queues) === JSON.stringify([{ Ref: 'LaunchQueue' }]),
    );
    expect(
      launchQueuePolicy?.[1].Properties?.PolicyDocument.Statement[0].Condition.ArnNotEquals[
        'aws:PrincipalArn'
      ],
    ).toContain('arn:aws:iam::111122223333:role/ops-redrive');
  });

  it("takes the API's throttle rate and reserved concurrency from the stage", () => {
    expect(staged.Resources.HttpApiStage?.Properties?.DefaultRouteSettings).toMatchObject({
      ThrottlingBurstLimit: 50,
      ThrottlingRateLimit: 5,
    });
    expect(staged.Resources.ApiLambdaFunction?.Properties?.ReservedConcurrentExecutions).toBe(10);
  });
});

describe('deploy/guardrails.cjs', () => {
  type Render = (context: { resolveVariable: (address: string) => Promise<unknown> }) => Promise<unknown>;
  const renderGuardrails: Render = require('../deploy/guardrails.cjs');
  const render = (params: Record<string, string>) => {
    const all: Record<string, string> = { apiThrottleBurst: '50', apiThrottleRate: '20', ...params };
    return renderGuardrails({
      resolveVariable: async (address) => all[address.replace(/^param:/, '')] ?? '',
    });
  };

  it('refuses, at package time, a stage parameter that would widen a grant or is not a count', async () => {
    await expect(render({})).resolves.toBeDefined();
    const refused: [string, string][] = [
      ['clusters', '*'],
      ['allowedClusters', 'batch,arn:aws:ecs:us-east-1:*:cluster/batch'],
      ['allowedFamilies', 'etl*'],
      ['passRoles', 'admin/*'],
      ['launchQueueSenders', 'arn:aws:iam::111122223333:*'],
      ['alarmTopicArn', 'arn:aws:sns:us-east-1:111122223333:*'],
      ['alarmEmail', 'ops'],
      ['apiThrottleRate', '-1'],
      ['apiReservedConcurrency', '1.5'],
    ];
    for (const [name, value] of refused) {
      await expect(render({ [name]: value })).rejects.toThrow(`param ${name}: "`);
    }
  });
});

describe('stage parameters', () => {
  it('narrows both task event rules (log and reactions) to the listed clusters', () => {
    const narrowed = loadTemplate({
      params: ['clusters=prod,arn:aws:ecs:eu-west-1:111122223333:cluster/batch'],
    });
    const ruleOf = (fn: string) =>
      resourcesOfType(narrowed, 'AWS::Events::Rule').find(
        ([, r]) => r.Properties?.Targets?.[0]?.Arn?.['Fn::GetAtt']?.[0] === fn,
      )?.[1];
    const clusterArn = [{ suffix: ':cluster/prod' }, 'arn:aws:ecs:eu-west-1:111122223333:cluster/batch'];
    expect(ruleOf('TaskEventsLambdaFunction')?.Properties?.EventPattern.detail).toEqual({ clusterArn });
    const reactions = ruleOf('TaskReactionsLambdaFunction')?.Properties?.EventPattern;
    expect(reactions.detail.clusterArn).toEqual(clusterArn);
    const stopped = (cluster: string) => ({
      ...fixture('stopped-exit-1'),
      detail: {
        ...fixture('stopped-exit-1').detail,
        clusterArn: `arn:aws:ecs:us-east-1:111122223333:cluster/${cluster}`,
      },
    });
    expect(matchesPattern(reactions, stopped('prod'))).toBe(true);
    expect(matchesPattern(reactions, stopped('dev'))).toBe(false);
    // IAM follows: a name becomes this account's cluster ARN, an ARN is kept as given.
    const describeTasks = ecsAllows('TaskReactionsRole', narrowed).find((s) =>
      actionsOf(s).includes('ecs:DescribeTasks'),
    );
    expect(describeTasks?.Condition?.ArnEquals).toEqual({
      'ecs:cluster': [ecsArn('cluster/prod'), 'arn:aws:ecs:eu-west-1:111122223333:cluster/batch'],
    });
    const tag = ecsAllows('LauncherRole', narrowed).find((s) => actionsOf(s).includes('ecs:TagResource'));
    expect(tag?.Resource).toEqual([ecsArn('task/prod/*'), 'arn:aws:ecs:eu-west-1:111122223333:task/batch/*']);
  }, 60_000);
});
