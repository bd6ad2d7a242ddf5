/**
 * The operator's command line end to end: its real bin as a child process, against the sandbox, with
 * nothing but what `npm start` prints (endpoint, sandbox credentials, stage). Every command, its JSON read
 * back, a refusal's exit code and message, doctor green and then red with the fix, and the canary.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ListTasksCommand } from '@aws-sdk/client-ecs';
import { DisableRuleCommand, EnableRuleCommand } from '@aws-sdk/client-eventbridge';
import { PurgeQueueCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { type startTestSandbox as Start, SUBNETS, startTestSandbox } from '../support/sandbox';
import { SANDBOX_CALLER_ARN } from '../support/signedFetch';

const exec = promisify(execFile);
const ROOT = join(__dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'ecs-autopilot.cjs');

let env: Awaited<ReturnType<typeof Start>>;
const dir = mkdtempSync(join(tmpdir(), 'cli-e2e-'));

beforeAll(async () => {
  // The bin runs the build of src/cli: build it from the source under test.
  await exec(process.execPath, [join(ROOT, 'scripts', 'build-cli.cjs')], { cwd: ROOT });
  env = await startTestSandbox();
}, 90_000);
afterAll(() => env?.stop());

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** The bin, run as a user runs it, from outside the repository (its own working directory). */
async function cli(...args: string[]): Promise<Run> {
  try {
    const { stdout, stderr } = await exec(process.execPath, [BIN, ...args], {
      cwd: dir,
      env: { PATH: process.env.PATH, HOME: dir, ...env.sandbox.clientEnv },
      timeout: 120_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

async function json<T = Record<string, unknown>>(...args: string[]): Promise<T> {
  const run = await cli(...args, '--output', 'json');
  if (run.code !== 0) throw new Error(`ecs-autopilot ${args.join(' ')} exited ${run.code}: ${run.stderr}`);
  return JSON.parse(run.stdout) as T;
}

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const SCHEDULE = `# the way ecschedule apply reads a rule: one file per schedule
name: cli-nightly
expression: cron(30 2 ? * MON-FRI *)
timezone: Europe/Paris
cluster: sandbox
taskDefinition: sandbox-worker
launchType: FARGATE
networkConfiguration:
  awsvpcConfiguration:
    subnets: [${SUBNETS[0]}]
concurrencyPolicy: Forbid
restartPolicy:
  maxAttempts: 2
`;

describe('ecs-autopilot against the sandbox', () => {
  it('finds the stage from its stack and says the fresh sandbox is healthy (doctor)', async () => {
    const run = await cli('doctor');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const lines = run.stdout.trim().split('\n');
    expect(lines[0]).toBe('✓ stack ecs-autopilot-sandbox: CREATE_COMPLETE');
    expect(lines.every((l) => l.startsWith('✓ '))).toBe(true);
    expect(run.stdout).toContain(
      '✓ rule ecs-autopilot-sandbox-taskReactions-rule-1: ENABLED, targets ecs-autopilot-sandbox-taskReactions',
    );
    expect(run.stdout).toContain('✓ DLQ ecs-autopilot-sandbox-LaunchDlq: empty');
    expect(run.stdout).toContain('✓ cluster sandbox: ACTIVE, has sandbox-ec2-spot, sandbox-ec2');
    expect(run.stdout).toContain('✓ networkDefaults sandbox: subnets subnet-0123456789abcdef0');
    expect(run.stdout).toContain('✓ alarm topic ecs-autopilot-sandbox-AlarmTopic: email oncall@example.com');
    const report = await json<{ ok: boolean; checks: { ok: boolean }[] }>('doctor');
    expect(report.ok).toBe(true);
    expect(report.checks.length).toBe(lines.length);
  });

  it('runs a task, waits for it to run, and shows its history and launch (tasks run|get|list, launches get)', async () => {
    const launched = await json<{
      status: string;
      requestId: string;
      taskArns: string[];
      tasks: { lastStatus: string }[];
    }>(
      'tasks',
      'run',
      '--cluster',
      'sandbox',
      '--task-definition',
      'sandbox-worker',
      '--launch-type',
      'FARGATE',
      '--subnets',
      SUBNETS[0] as string,
      '--wait',
    );
    expect(launched.status).toBe('LAUNCHED');
    expect(launched.tasks.map((t) => t.lastStatus)).toEqual(['RUNNING']);
    const taskId = launched.taskArns[0]?.split('/').pop() as string;

    const table = await cli('tasks', 'get', taskId);
    expect(table.code).toBe(0);
    expect(table.stdout).toContain(`Task            ${launched.taskArns[0]}`);
    expect(table.stdout).toMatch(/Timeline\nTIME +STATUS +DESIRED +DETAIL\n.*PROVISIONING/);
    const history = await json<{ task: { taskId: string; lastStatus: string } }>(
      'tasks',
      'get',
      launched.taskArns[0] as string,
    );
    expect(history.task).toMatchObject({ taskId, lastStatus: 'RUNNING' });

    const listed = await json<{ tasks: { taskId: string }[] }>(
      'tasks',
      'list',
      '--cluster',
      'sandbox',
      '--limit',
      '5',
    );
    expect(listed.tasks.map((t) => t.taskId)).toContain(taskId);
    const listTable = await cli('tasks', 'list', '--cluster', 'sandbox', '--classification', 'running');
    expect(listTable.stdout).toMatch(new RegExp(`${taskId} +RUNNING +running +sandbox-worker:1`));

    const launch = await json<{ requestId: string; taskArns: string[] }>(
      'launches',
      'get',
      launched.requestId,
    );
    expect(launch).toMatchObject({ requestId: launched.requestId, taskArns: launched.taskArns });
    await env.clients.ecs.send(
      new (await import('@aws-sdk/client-ecs')).StopTaskCommand({
        cluster: 'sandbox',
        task: launched.taskArns[0],
      }),
    );
  });

  it('refuses a launch outside the allowlist with exit 1 and the API message; bad usage exits 2', async () => {
    const refused = await cli(
      'tasks',
      'run',
      '--cluster',
      'elsewhere',
      '--task-definition',
      'sandbox-worker',
      '--launch-type',
      'FARGATE',
    );
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(
      "error: POST /tasks: 403 Forbidden: cluster elsewhere is not on this stage's allowlist (allowedClusters)\n",
    );
    const missing = await cli('services', 'get', 'sandbox/web');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('404 NotFound: ecs-autopilot never moved service sandbox/web off Spot');
    const usage = await cli('tasks', 'list');
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain("required option '--cluster <cluster>' not specified");
    const noStack = await cli('doctor', '--stage', 'nope');
    expect(noStack.code).toBe(1);
    expect(noStack.stdout).toContain(
      '✗ stack ecs-autopilot-nope: cannot read stack ecs-autopilot-nope: ValidationError: Stack with id ecs-autopilot-nope does not exist',
    );
    expect(noStack.stdout).toContain('    fix: npx sls deploy --stage nope --region us-east-1');
  });

  it('keeps a schedule from a YAML file like ecschedule apply: create, dry-run diff, update, pause, resume, run, runs, delete', async () => {
    const path = file('cli-nightly.yaml', SCHEDULE);
    const preview = await cli('schedules', 'create', '-f', path, '--dry-run');
    expect(preview.code).toBe(0);
    expect(preview.stdout).toContain('+ expression: cron(30 2 ? * MON-FRI *)');
    expect((await json<{ schedules: unknown[] }>('schedules', 'list')).schedules).toEqual([]);

    const created = await json<{ name: string; version: number; createdBy: string }>(
      'schedules',
      'create',
      '-f',
      path,
    );
    expect(created).toMatchObject({ name: 'cli-nightly', version: 1, createdBy: SANDBOX_CALLER_ARN });

    writeFileSync(path, SCHEDULE.replace('maxAttempts: 2', 'maxAttempts: 3'));
    const diff = await cli('schedules', 'update', '-f', path, '--dry-run');
    expect(diff.stdout).toContain('  restartPolicy:\n-   maxAttempts: 2\n+   maxAttempts: 3');
    expect((await json<{ version: number }>('schedules', 'get', 'cli-nightly')).version).toBe(1);
    const updated = await cli('schedules', 'update', '-f', path);
    expect(updated.code).toBe(0);
    expect(updated.stdout).toContain('updated schedule cli-nightly (version 2)');
    expect((await cli('schedules', 'update', '-f', path)).stdout).toContain(
      'schedule cli-nightly: no changes',
    );

    expect((await json<{ state: string }>('schedules', 'pause', 'cli-nightly')).state).toBe('PAUSED');
    const listed = await cli('schedules', 'list');
    expect(listed.stdout).toMatch(/cli-nightly +PAUSED +cron\(30 2 \? \* MON-FRI \*\) +Europe\/Paris/);
    expect((await json<{ state: string }>('schedules', 'resume', 'cli-nightly')).state).toBe('ENABLED');

    const run = await json<{ status: string; taskArns: string[]; requestId: string }>(
      'schedules',
      'run',
      'cli-nightly',
    );
    expect(run.status).toBe('LAUNCHED');
    const runs = await json<{ runs: { requestId: string; trigger: string }[] }>(
      'schedules',
      'runs',
      'cli-nightly',
    );
    expect(runs.runs[0]).toMatchObject({ requestId: run.requestId, trigger: 'manual' });
    for (const task of run.taskArns) {
      await env.clients.ecs.send(
        new (await import('@aws-sdk/client-ecs')).StopTaskCommand({ cluster: 'sandbox', task }),
      );
    }

    expect((await cli('schedules', 'delete', 'cli-nightly')).stdout).toBe('deleted schedule cli-nightly\n');
    const gone = await cli('schedules', 'get', 'cli-nightly');
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain('404 NotFound');
  });

  it('reads breakers and the OpenAPI document', async () => {
    expect(await json('breakers', 'get', 'sandbox-worker')).toMatchObject({
      family: 'sandbox-worker',
      state: 'CLOSED',
    });
    expect(await json('breakers', 'close', 'sandbox-worker')).toMatchObject({ state: 'CLOSED' });
    const doc = await json<{ openapi: string; paths: Record<string, unknown> }>('api', 'openapi');
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toContain('/schedules/{name}/runs');
  });

  it('turns red with the fix when a rule is disabled or a DLQ holds a message', async () => {
    const rule = 'ecs-autopilot-sandbox-taskReactions-rule-1';
    await env.clients.events.send(new DisableRuleCommand({ Name: rule }));
    const dlq = `${env.sandbox.endpoint}/000000000000/ecs-autopilot-sandbox-TaskEventsDlq`;
    await env.clients.sqs.send(new SendMessageCommand({ QueueUrl: dlq, MessageBody: '{"failed":"event"}' }));
    try {
      const run = await cli('doctor');
      expect(run.code).toBe(1);
      expect(run.stdout).toContain(
        `✗ rule ${rule}: DISABLED, targets ecs-autopilot-sandbox-taskReactions\n    fix: aws events enable-rule --name ${rule}`,
      );
      expect(run.stdout).toContain(
        '✗ DLQ ecs-autopilot-sandbox-TaskEventsDlq: 1 message (task events that failed every retry)\n    fix: read them: aws sqs receive-message',
      );
      expect(run.stdout).toContain('✓ DLQ ecs-autopilot-sandbox-LaunchDlq: empty');
    } finally {
      await env.clients.events.send(new EnableRuleCommand({ Name: rule }));
      await env.clients.sqs.send(new PurgeQueueCommand({ QueueUrl: dlq }));
    }
    expect((await cli('doctor')).code).toBe(0);
  });

  it('proves the restart path with doctor --canary, leaving no task or schedule behind', async () => {
    const run = await cli('doctor', '--canary', '--timeout', '60');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    for (const step of [
      'registered task definition: ecs-autopilot-canary:1',
      'started task',
      'task RUNNING',
      'task STOPPED: exit 1 (EssentialContainerExited)',
      'restart decision: restart after',
      'replacement RUNNING',
      'replacement stopped',
      'cleaned up: deregistered ecs-autopilot-canary:1',
    ]) {
      expect(run.stdout).toMatch(new RegExp(`\\n +\\d+\\.\\ds  ${step.replace(/[()]/g, '\\$&')}`));
    }
    expect(run.stdout).toMatch(/✓ canary: restart path works \(\d+(\.\d)? s\)\n$/);
    const canaries = env.sandbox.ecs.taskTable().filter((t) => t.group === 'family:ecs-autopilot-canary');
    expect(canaries.length).toBe(2);
    expect(canaries.every((t) => t.lastStatus === 'STOPPED')).toBe(true);
    const running = await env.clients.ecs.send(
      new ListTasksCommand({ cluster: 'sandbox', desiredStatus: 'RUNNING' }),
    );
    expect(running.taskArns ?? []).toEqual([]);
    expect((await json<{ schedules: unknown[] }>('schedules', 'list')).schedules).toEqual([]);
  }, 120_000);

  it('refuses a canary outside the allowlist, before starting anything', async () => {
    const before = env.sandbox.ecs.taskTable().length;
    const run = await cli('doctor', '--canary', '--cluster', 'elsewhere');
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(
      '✗ canary refused: cluster elsewhere is not in allowedClusters (sandbox): it would launch outside the allowlist',
    );
    expect(env.sandbox.ecs.taskTable().length).toBe(before);
  });

  it('runs as `npx ecs-autopilot` inside the repository', async () => {
    const { stdout } = await exec('npx', ['ecs-autopilot', '--version'], { cwd: ROOT });
    expect(stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });
});
