/**
 * `ecs-autopilot doctor`: a stage checked the way an operator would by hand, one line per check and the
 * fix when it fails; `--canary` then proves the whole path in the account (a task that exits 1, the
 * restart decision, the replacement RUNNING), timing each step and cleaning up after itself.
 */
import {
  DeregisterTaskDefinitionCommand,
  DescribeClustersCommand,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  ECSClient,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  StopTaskCommand,
  type Task,
} from '@aws-sdk/client-ecs';
import {
  EventBridgeClient,
  ListRulesCommand,
  ListTargetsByRuleCommand,
  type Rule,
} from '@aws-sdk/client-eventbridge';
import { GetFunctionConfigurationCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { ListSubscriptionsByTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { MAX_ATTEMPTS_TAG } from '../domain/restartPolicy';
import { lastSegment } from './output';
import { routePath } from './routeCommands';
import { awsRefusal, RefusedError, SERVICE, type StageContext } from './stage';

export interface Check {
  check: string;
  ok: boolean;
  detail: string;
  fix?: string;
}

export interface DoctorIo {
  line: (text: string) => void;
  /** JSON output: the lines are not printed, the report is. */
  json: boolean;
}

/** What the checks found out about the stage, for the canary. */
export interface DoctorReport {
  ok: boolean;
  checks: Check[];
  stackOk: boolean;
  allowedClusters: string[];
  handledClusters: string[];
  networkDefaults: Record<
    string,
    { awsvpcConfiguration?: { subnets?: string[]; securityGroups?: string[]; assignPublicIp?: string } }
  >;
}

const list = (text: string | undefined) =>
  (text ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => s.split('/').pop() ?? s);

function parseJson<T>(text: string | undefined, fallback: T): T {
  try {
    return text ? (JSON.parse(text) as T) : fallback;
  } catch {
    return fallback;
  }
}

export async function runDoctor(stage: StageContext, io: DoctorIo): Promise<DoctorReport> {
  const checks: Check[] = [];
  const report = (c: Check) => {
    checks.push(c);
    if (!io.json)
      io.line(`${c.ok ? '✓' : '✗'} ${c.check}: ${c.detail}${c.ok || !c.fix ? '' : `\n    fix: ${c.fix}`}`);
  };
  const result: DoctorReport = {
    ok: false,
    checks,
    stackOk: false,
    allowedClusters: [],
    handledClusters: [],
    networkDefaults: {},
  };
  const region = await stage.region();
  const deploy = `npx sls deploy --stage ${stage.stage} --region ${region}`;

  // 1. The stack exists and is complete.
  let outputs: Record<string, string> = {};
  try {
    const stack = await stage.stack();
    const status = stack.StackStatus ?? 'UNKNOWN';
    const complete = /_COMPLETE$/.test(status) && !/ROLLBACK|DELETE/.test(status);
    report({
      check: `stack ${stage.stackName}`,
      ok: complete,
      detail: status,
      fix: /IN_PROGRESS$/.test(status)
        ? 'wait for the deployment to finish, then run doctor again'
        : `see why: aws cloudformation describe-stack-events --stack-name ${stage.stackName}; then ${deploy}`,
    });
    outputs = await stage.outputs();
    result.stackOk = complete;
  } catch (error) {
    report({ check: `stack ${stage.stackName}`, ok: false, detail: (error as Error).message, fix: deploy });
    return result;
  }

  const config = await stage.clientConfig();

  // The stage's parameters as deployed: the functions' environment.
  const lambda = new LambdaClient(config);
  const environment = async (fn: string) => {
    const out = await lambda.send(
      new GetFunctionConfigurationCommand({ FunctionName: `${SERVICE}-${stage.stage}-${fn}` }),
    );
    return out.Environment?.Variables ?? {};
  };
  let launcherEnv: Record<string, string> = {};
  let reactionsEnv: Record<string, string> = {};
  try {
    [launcherEnv, reactionsEnv] = await Promise.all([environment('launcher'), environment('taskReactions')]);
  } catch (error) {
    report({
      check: 'functions',
      ok: false,
      detail: awsRefusal(error, 'cannot read the launcher and taskReactions configuration').message,
      fix: deploy,
    });
  } finally {
    lambda.destroy();
  }
  result.allowedClusters = list(launcherEnv.ALLOWED_CLUSTERS);
  result.handledClusters = list(launcherEnv.CLUSTERS);
  const spotToOnDemand = parseJson<Record<string, Record<string, string>>>(launcherEnv.SPOT_TO_ON_DEMAND, {});
  result.networkDefaults = parseJson(reactionsEnv.NETWORK_DEFAULTS, {});

  // 2. Every EventBridge rule of the stage is enabled and targets its function (rules are named
  // <function name>-rule-<n> by serverless).
  const events = new EventBridgeClient(config);
  try {
    const rules: Rule[] = [];
    let NextToken: string | undefined;
    do {
      const page = await events.send(
        new ListRulesCommand({ NamePrefix: `${SERVICE}-${stage.stage}-`, NextToken }),
      );
      rules.push(...(page.Rules ?? []));
      NextToken = page.NextToken;
    } while (NextToken);
    if (rules.length === 0) {
      report({
        check: 'EventBridge rules',
        ok: false,
        detail: `none named ${SERVICE}-${stage.stage}-*`,
        fix: deploy,
      });
    }
    for (const rule of rules) {
      const name = rule.Name ?? '';
      const fn = name.replace(/-rule-\d+$/, '');
      const targets = await events.send(new ListTargetsByRuleCommand({ Rule: name }));
      const targetsFn = (targets.Targets ?? []).some((t) => t.Arn?.split(':')[6] === fn);
      const enabled = rule.State === 'ENABLED';
      report({
        check: `rule ${name}`,
        ok: enabled && targetsFn,
        detail: `${rule.State ?? 'UNKNOWN'}, ${targetsFn ? `targets ${fn}` : `does not target ${fn}`}`,
        fix: !enabled ? `aws events enable-rule --name ${name}` : `restore its target: ${deploy}`,
      });
    }
  } catch (error) {
    report({
      check: 'EventBridge rules',
      ok: false,
      detail: awsRefusal(error, 'cannot list the rules').message,
    });
  } finally {
    events.destroy();
  }

  // 3. The dead-letter queues are empty.
  const sqs = new SQSClient(config);
  try {
    for (const [key, what] of [
      ['TaskEventsDlqUrl', 'task events that failed every retry'],
      ['LaunchDlqUrl', 'launch requests that failed every retry'],
    ] as const) {
      const url = outputs[key];
      if (!url) {
        report({ check: key, ok: false, detail: 'the stack has no such output', fix: deploy });
        continue;
      }
      const name = url.split('/').pop() ?? url;
      try {
        const out = await sqs.send(
          new GetQueueAttributesCommand({
            QueueUrl: url,
            AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
          }),
        );
        const count =
          Number(out.Attributes?.ApproximateNumberOfMessages ?? 0) +
          Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0);
        report({
          check: `DLQ ${name}`,
          ok: count === 0,
          detail: count === 0 ? 'empty' : `${count} message${count === 1 ? '' : 's'} (${what})`,
          fix: `read them: aws sqs receive-message --queue-url ${url} --max-number-of-messages 10 --attribute-names All; once the cause is fixed, redrive them (aws sqs start-message-move-task) or purge the queue (aws sqs purge-queue --queue-url ${url})`,
        });
      } catch (error) {
        report({
          check: `DLQ ${name}`,
          ok: false,
          detail: awsRefusal(error, 'cannot read the queue').message,
        });
      }
    }
  } finally {
    sqs.destroy();
  }

  // 4. The allowlisted clusters exist and have the capacity providers spotToOnDemand names.
  const ecs = new ECSClient(config);
  try {
    const clusters = [
      ...new Set([...result.allowedClusters, ...result.handledClusters, ...Object.keys(spotToOnDemand)]),
    ];
    if (result.allowedClusters.length === 0) {
      report({
        check: 'allowedClusters',
        ok: true,
        detail: 'empty: the HTTP API launches nothing (schedules and run-now are refused)',
      });
    }
    const described = clusters.length
      ? ((await ecs.send(new DescribeClustersCommand({ clusters }))).clusters ?? [])
      : [];
    for (const name of clusters) {
      const cluster = described.find((c) => c.clusterName === name && c.status === 'ACTIVE');
      const providers = Object.entries(spotToOnDemand[name] ?? {}).flat();
      const missing = providers.filter((p) => !cluster?.capacityProviders?.includes(p));
      report({
        check: `cluster ${name}`,
        ok: !!cluster && missing.length === 0,
        detail: !cluster
          ? 'not found (or not ACTIVE)'
          : missing.length
            ? `lacks the capacity providers ${missing.join(', ')} that spotToOnDemand names`
            : `ACTIVE${providers.length ? `, has ${providers.join(', ')}` : ''}`,
        fix: !cluster
          ? `create it (aws ecs create-cluster --cluster-name ${name}) or remove it from the stage parameters, then ${deploy}`
          : `aws ecs put-cluster-capacity-providers --cluster ${name} ... (add ${missing.join(', ')}), or change spotToOnDemand`,
      });
    }

    // 5. networkDefaults has subnets for every cluster that runs awsvpc tasks (a restart of one launched
    // elsewhere needs them: ECS events carry no network configuration).
    for (const name of clusters.filter((c) => described.some((d) => d.clusterName === c))) {
      const arns = (
        await ecs.send(new ListTasksCommand({ cluster: name, desiredStatus: 'RUNNING', maxResults: 100 }))
      ).taskArns;
      const tasks: Task[] = arns?.length
        ? ((await ecs.send(new DescribeTasksCommand({ cluster: name, tasks: arns }))).tasks ?? [])
        : [];
      const awsvpc = tasks.filter(
        (t) =>
          t.launchType === 'FARGATE' ||
          (t.attachments ?? []).some((a) => a.type === 'ElasticNetworkInterface' || a.type === 'eni'),
      ).length;
      const subnets = result.networkDefaults[name]?.awsvpcConfiguration?.subnets ?? [];
      report({
        check: `networkDefaults ${name}`,
        ok: awsvpc === 0 || subnets.length > 0,
        detail: subnets.length
          ? `subnets ${subnets.join(', ')}`
          : awsvpc
            ? `not set, and ${awsvpc} running awsvpc task${awsvpc === 1 ? '' : 's'} could not be restarted`
            : 'not set (no awsvpc task running there now)',
        fix: `${deploy} --param='networkDefaults={"${name}":{"awsvpcConfiguration":{"subnets":["subnet-…"],"securityGroups":["sg-…"]}}}'`,
      });
    }
  } catch (error) {
    report({
      check: 'clusters',
      ok: false,
      detail: awsRefusal(error, 'cannot describe the clusters').message,
    });
  } finally {
    ecs.destroy();
  }

  // 6. The alarm topic has a confirmed subscription (someone is paged).
  const topic = outputs.AlarmTopicArn;
  if (!topic)
    report({ check: 'alarm topic', ok: false, detail: 'the stack has no AlarmTopicArn output', fix: deploy });
  else {
    const sns = new SNSClient(config);
    try {
      const subscriptions =
        (await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: topic }))).Subscriptions ?? [];
      const confirmed = subscriptions.filter((s) => s.SubscriptionArn?.startsWith('arn:'));
      const pending = subscriptions.length - confirmed.length;
      report({
        check: `alarm topic ${topic.split(':').pop()}`,
        ok: confirmed.length > 0,
        detail: confirmed.length
          ? confirmed.map((s) => `${s.Protocol} ${s.Endpoint}`).join(', ')
          : pending
            ? `${pending} subscription${pending === 1 ? '' : 's'} pending confirmation: nobody is paged yet`
            : 'no subscription: alarms page nobody',
        fix: pending
          ? 'confirm the subscription from the mail AWS sent to its address'
          : `${deploy} --param="alarmEmail=you@example.com" (or aws sns subscribe --topic-arn ${topic} --protocol email --notification-endpoint you@example.com)`,
      });
    } catch (error) {
      report({
        check: 'alarm topic',
        ok: false,
        detail: awsRefusal(error, 'cannot list its subscriptions').message,
      });
    } finally {
      sns.destroy();
    }
  }

  result.ok = checks.every((c) => c.ok);
  return result;
}

// ---------- the canary ----------

export const CANARY_FAMILY = 'ecs-autopilot-canary';
/** Not ecs-autopilot/…: that prefix names tasks ecs-autopilot launched itself. */
export const CANARY_STARTED_BY = 'ecs-autopilot-canary';

export interface CanaryStep {
  step: string;
  seconds: number;
  detail?: string;
}

export interface CanaryResult {
  ok: boolean;
  cluster?: string;
  steps: CanaryStep[];
  error?: string;
  cleanedUp: string[];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function runCanary(
  stage: StageContext,
  io: DoctorIo,
  options: { cluster?: string; taskDefinition?: string; timeoutMs: number; checks: DoctorReport },
): Promise<CanaryResult> {
  const started = Date.now();
  const result: CanaryResult = { ok: false, steps: [], cleanedUp: [] };
  const say = (text: string) => {
    if (!io.json) io.line(text);
  };
  const step = (name: string, detail?: string) => {
    const seconds = Number(((Date.now() - started) / 1000).toFixed(1));
    result.steps.push({ step: name, seconds, ...(detail && { detail }) });
    say(`  ${seconds.toFixed(1).padStart(6)}s  ${name}${detail ? `: ${detail}` : ''}`);
  };
  say('\ncanary');

  // Refuse before anything is started where the stage could not, or would not, act.
  const { allowedClusters, handledClusters } = options.checks;
  const cluster = options.cluster ?? allowedClusters[0];
  const refuse = (message: string): CanaryResult => {
    result.error = message;
    say(`✗ canary refused: ${message}`);
    return result;
  };
  if (!options.checks.stackOk) return refuse(`the stack ${stage.stackName} is not complete (see above)`);
  if (!cluster)
    return refuse('the stage has no allowedClusters: the canary runs only where the stage may launch');
  if (!allowedClusters.includes(cluster)) {
    return refuse(
      `cluster ${cluster} is not in allowedClusters (${allowedClusters.join(', ') || 'none'}): it would launch outside the allowlist`,
    );
  }
  if (handledClusters.length && !handledClusters.includes(cluster)) {
    return refuse(
      `cluster ${cluster} is not in the stage's clusters (${handledClusters.join(', ')}): its tasks are never restarted`,
    );
  }

  const config = await stage.clientConfig();
  const ecs = new ECSClient(config);
  let registered: string | undefined;
  const launched: string[] = [];
  const deadline = (what: string) => {
    const until = Date.now() + options.timeoutMs;
    return () => {
      if (Date.now() > until)
        throw new RefusedError(`timed out after ${options.timeoutMs / 1000} s waiting for ${what}`);
    };
  };
  const describe = async (arn: string) =>
    (await ecs.send(new DescribeTasksCommand({ cluster, tasks: [arn] }))).tasks?.[0];
  const waitStatus = async (arn: string, statuses: string[]) => {
    const check = deadline(`task ${lastSegment(arn)} to be ${statuses.join(' or ')}`);
    for (;;) {
      const task = await describe(arn);
      if (task && statuses.includes(task.lastStatus ?? '')) return task;
      check();
      await sleep(500);
    }
  };
  const history = async (taskId: string) => {
    try {
      return (await stage.call<Record<string, unknown>>('GET', routePath('GET /tasks/{taskId}', { taskId })))
        .body;
    } catch (error) {
      if (error instanceof RefusedError && error.status === 404) return undefined;
      throw error;
    }
  };
  const decisionOf = async (taskArn: string) => {
    const check = deadline(`the restart decision on task ${lastSegment(taskArn)}`);
    for (;;) {
      const body = await history(lastSegment(taskArn) ?? taskArn);
      const decision = body?.decision as
        | { action?: string; reason?: string; delaySeconds?: number; replacementTaskArns?: string[] }
        | undefined;
      if (decision && (decision.action !== 'restart' || decision.replacementTaskArns?.length))
        return decision;
      check();
      await sleep(1000);
    }
  };

  try {
    // The task definition: the one named, or a tiny one registered for this run.
    let taskDefinition = options.taskDefinition;
    if (!taskDefinition) {
      const out = await ecs.send(
        new RegisterTaskDefinitionCommand({
          family: CANARY_FAMILY,
          requiresCompatibilities: ['FARGATE'],
          networkMode: 'awsvpc',
          cpu: '256',
          memory: '512',
          containerDefinitions: [
            {
              name: 'canary',
              image: 'public.ecr.aws/docker/library/busybox:stable',
              essential: true,
              // Exits 1 after a while: long enough for the replacement to be seen RUNNING and stopped.
              command: ['sh', '-c', 'sleep 30; exit 1'],
              // What the sandbox's emulated containers do instead of running the command.
              environment: [
                { name: 'SANDBOX_EXIT_CODE', value: '1' },
                { name: 'SANDBOX_RUN_MS', value: '4000' },
              ],
            },
          ],
          tags: [{ key: 'ecs-autopilot:canary', value: 'true' }],
        }),
      );
      registered = out.taskDefinition?.taskDefinitionArn;
      taskDefinition = registered;
      step('registered task definition', `${out.taskDefinition?.family}:${out.taskDefinition?.revision}`);
    }
    const definition = (await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition }))).taskDefinition;
    const awsvpc = definition?.networkMode === 'awsvpc';
    const network = options.checks.networkDefaults[cluster]?.awsvpcConfiguration;
    if (awsvpc && !network?.subnets?.length) {
      throw new RefusedError(
        `cluster ${cluster} has no networkDefaults subnets: an awsvpc task launched outside ecs-autopilot cannot be restarted there (see the networkDefaults check)`,
      );
    }
    const fargate = definition?.requiresCompatibilities?.includes('FARGATE');
    const run = await ecs.send(
      new RunTaskCommand({
        cluster,
        taskDefinition: definition?.taskDefinitionArn,
        count: 1,
        ...(fargate && { launchType: 'FARGATE' }),
        ...(awsvpc &&
          network?.subnets && {
            networkConfiguration: {
              awsvpcConfiguration: {
                subnets: network.subnets,
                securityGroups: network.securityGroups,
                assignPublicIp: network.assignPublicIp === 'ENABLED' ? 'ENABLED' : 'DISABLED',
              },
            },
          }),
        startedBy: CANARY_STARTED_BY,
        // One restart at most, whatever the stage's default (restartMaxAttempts 0 restarts only tagged tasks).
        tags: [
          { key: MAX_ATTEMPTS_TAG, value: '1' },
          { key: 'ecs-autopilot:canary', value: 'true' },
        ],
      }),
    );
    const first = run.tasks?.[0]?.taskArn;
    if (!first) {
      throw new RefusedError(
        `RunTask started nothing: ${run.failures?.map((f) => `${f.arn ?? ''} ${f.reason}`).join('; ')}`,
      );
    }
    launched.push(first);
    result.cluster = cluster;
    step('started task', `${lastSegment(first)} in ${cluster}`);
    await waitStatus(first, ['RUNNING', 'STOPPED']);
    step('task RUNNING', lastSegment(first));
    const stopped = await waitStatus(first, ['STOPPED']);
    const exit = stopped.containers?.map((c) => c.exitCode).find((c) => c !== undefined);
    step('task STOPPED', `exit ${exit ?? '?'} (${stopped.stopCode ?? ''})`);
    const decision = await decisionOf(first);
    if (decision.action !== 'restart') {
      throw new RefusedError(
        `the restart decision was "${decision.action}" (${decision.reason ?? ''}), not restart: check the stage's restart policy (restartFamilyPolicies, restartMaxAttempts)`,
      );
    }
    const replacement = decision.replacementTaskArns?.[0] ?? '';
    launched.push(replacement);
    step(
      'restart decision',
      `restart after ${decision.delaySeconds ?? 0} s, replacement ${lastSegment(replacement)}`,
    );
    const seen = await waitStatus(replacement, ['RUNNING', 'STOPPED']);
    step(`replacement ${seen.lastStatus}`, lastSegment(replacement));
    await ecs.send(
      new StopTaskCommand({ cluster, task: replacement, reason: 'ecs-autopilot doctor --canary: done' }),
    );
    await waitStatus(replacement, ['STOPPED']);
    step('replacement stopped');
    result.ok = true;
  } catch (error) {
    result.error = awsRefusal(error, 'canary').message;
    say(`✗ canary failed: ${result.error}`);
  } finally {
    // Nothing left behind: every canary task stopped (the ones it started, and the replacement), the
    // registered revision deregistered. ListTasks takes startedBy as its only filter.
    try {
      const running = (await ecs.send(new ListTasksCommand({ cluster, startedBy: CANARY_STARTED_BY })))
        .taskArns;
      for (const arn of new Set([...launched, ...(running ?? [])])) {
        const task = arn ? await describe(arn) : undefined;
        if (task && task.lastStatus !== 'STOPPED' && task.desiredStatus !== 'STOPPED') {
          await ecs.send(
            new StopTaskCommand({ cluster, task: arn, reason: 'ecs-autopilot doctor --canary: cleanup' }),
          );
          result.cleanedUp.push(`stopped ${lastSegment(arn)}`);
        }
      }
      if (registered) {
        await ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: registered }));
        result.cleanedUp.push(`deregistered ${registered.split('/').pop()}`);
      }
      step('cleaned up', result.cleanedUp.join(', ') || 'nothing left');
    } catch (error) {
      say(`✗ canary cleanup failed: ${awsRefusal(error, 'cleanup').message}`);
      result.ok = false;
    }
    ecs.destroy();
  }
  say(
    result.ok ? `✓ canary: restart path works (${result.steps.at(-1)?.seconds ?? 0} s)` : '✗ canary failed',
  );
  return result;
}
