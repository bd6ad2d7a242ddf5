/**
 * The control CLI (`npm run sandbox -- ...`) and the control endpoint behind it, against a sandbox whose
 * functions do nothing (no serverless-offline): finding the sandbox, refusing bad input, the tables, waits.
 */
import { execFile } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  DescribeContainerInstancesCommand,
  ECSClient,
  ListContainerInstancesCommand,
  RunTaskCommand,
} from '@aws-sdk/client-ecs';
import { runCli } from '../../local/controlCli';
import type { TaskTableRow } from '../../local/ecs';
import type { Sandbox } from '../../local/sandbox';
import { startSandbox } from '../../local/sandbox';
import { FAST_TIMINGS, SUBNETS, waitFor } from '../support/sandbox';

const exec = promisify(execFile);
const ROOT = join(__dirname, '..', '..');

let sandbox: Sandbox;
let ecs: ECSClient;

beforeAll(async () => {
  sandbox = await startSandbox({
    timings: FAST_TIMINGS,
    throttling: false,
    invoker: { invoke: async () => ({ ok: true, payload: null }) },
  });
  ecs = new ECSClient({
    region: 'us-east-1',
    endpoint: sandbox.endpoint,
    credentials: { accessKeyId: 'sandbox', secretAccessKey: 'sandbox' },
    maxAttempts: 1,
  });
}, 60_000);
afterAll(async () => {
  ecs?.destroy();
  await sandbox?.stop();
});

/** Runs the CLI in this process, as `npm run sandbox -- ...args` would with that environment. */
async function cli(args: string[], env: NodeJS.ProcessEnv = { AWS_ENDPOINT_URL: sandbox.endpoint }) {
  let out = '';
  let err = '';
  const code = await runCli(args, {
    env,
    out: (text) => {
      out += `${text}\n`;
    },
    err: (text) => {
      err += `${text}\n`;
    },
  });
  return { code, out, err };
}

async function runTask(extra: Record<string, unknown> = {}) {
  const out = await ecs.send(
    new RunTaskCommand({
      cluster: 'sandbox',
      taskDefinition: 'sandbox-worker',
      launchType: 'FARGATE',
      networkConfiguration: { awsvpcConfiguration: { subnets: SUBNETS } },
      ...extra,
    }),
  );
  const arn = out.tasks?.[0]?.taskArn as string;
  return { arn, id: arn.split('/').pop() as string };
}

const statusOf = (id: string) => sandbox.ecs.taskTable().find((t) => t.taskId === id)?.lastStatus;
const running = async () => {
  const task = await runTask();
  await waitFor('the task RUNNING', () => statusOf(task.id) === 'RUNNING');
  return task;
};

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('finding the sandbox', () => {
  it('uses AWS_ENDPOINT_URL, as the README exports it', async () => {
    const task = await runTask();
    const result = await cli(['tasks'], { AWS_ENDPOINT_URL: sandbox.endpoint });
    expect(result).toMatchObject({ code: 0, err: '' });
    expect(result.out).toContain(task.id);
  });

  it('uses SANDBOX_PORT when no endpoint is given', async () => {
    const task = await runTask();
    const result = await cli(['tasks'], { SANDBOX_PORT: sandbox.clientEnv.SANDBOX_PORT });
    expect(result.out).toContain(task.id);
  });

  it('names the endpoint it tried when nothing answers there, and exits 1', async () => {
    const endpoint = `http://127.0.0.1:${await closedPort()}`;
    const result = await cli(['tasks'], { AWS_ENDPOINT_URL: endpoint });
    expect(result.code).toBe(1);
    expect(result.err).toContain(
      `cannot reach the sandbox at ${endpoint} (is npm start running? set AWS_ENDPOINT_URL or SANDBOX_PORT)`,
    );
  });

  it('exits with 2 for a usage error and 1 for an unreachable sandbox as a process', async () => {
    const tsx = join(ROOT, 'node_modules', '.bin', 'tsx');
    const cliPath = join(ROOT, 'local', 'cli.ts');
    const run = (args: string[], env: NodeJS.ProcessEnv) =>
      exec(tsx, [cliPath, ...args], { cwd: ROOT, env: { ...process.env, ...env } }).then(
        () => ({ code: 0, stderr: '' }),
        (error: { code: number; stderr: string }) => ({ code: error.code, stderr: error.stderr }),
      );
    const endpoint = `http://127.0.0.1:${await closedPort()}`;
    const [usage, unreachable] = await Promise.all([
      run(['exit', 'some-task', 'abc'], { AWS_ENDPOINT_URL: endpoint }),
      run(['stats'], { AWS_ENDPOINT_URL: endpoint }),
    ]);
    expect(usage.code).toBe(2);
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toContain(`cannot reach the sandbox at ${endpoint}`);
  }, 30_000);
});

describe('bad input', () => {
  it('refuses a non-numeric exit code, naming it and the accepted forms, and the task keeps running', async () => {
    const task = await running();
    const result = await cli(['exit', task.id, 'abc']);
    expect(result.code).toBe(2);
    expect(result.err).toContain('"abc" is not an exit code: use an integer from 0 to 255');
    await new Promise((r) => setTimeout(r, 300));
    expect(statusOf(task.id)).toBe('RUNNING');
    expect((await cli(['exit', task.id, '256'])).code).toBe(2);
    expect((await cli(['exit', task.id, '3'])).code).toBe(0);
    await waitFor('the task STOPPED', () => statusOf(task.id) === 'STOPPED');
  });

  it('refuses "spot-capacity of" instead of turning Spot capacity off', async () => {
    const result = await cli(['spot-capacity', 'of']);
    expect(result.code).toBe(2);
    expect(result.err).toContain('spot-capacity "of" is not on or off: use on or off');
    const out = await ecs.send(
      new RunTaskCommand({
        cluster: 'sandbox',
        taskDefinition: 'sandbox-worker',
        capacityProviderStrategy: [{ capacityProvider: 'FARGATE_SPOT', weight: 1 }],
        networkConfiguration: { awsvpcConfiguration: { subnets: SUBNETS } },
      }),
    );
    expect(out.failures).toEqual([]);
    expect(out.tasks).toHaveLength(1);
  });

  it('refuses to move the clock back, saying why, and leaves it where it was', async () => {
    const before = sandbox.clock.now();
    const result = await cli(['clock', '-5m']);
    expect(result.code).toBe(2);
    expect(result.err).toContain('the sandbox clock only moves forward: use +<n><ms|s|m|h|d>');
    expect(sandbox.clock.now() - before).toBeLessThan(60_000);
    const forward = await cli(['clock', '+10m']);
    expect(forward.code).toBe(0);
    expect(sandbox.clock.now() - before).toBeGreaterThanOrEqual(600_000);
  });

  it.each([
    [['faults', '--throttle', '2'], '--throttle "2" is not a rate: use a number from 0 to 1'],
    [['faults', '--error', 'lots'], '--error "lots" is not a rate'],
    [['faults', '--bogus', '1'], "unknown option '--bogus'"],
    [['events', '--duplicate', '-1'], '--duplicate "-1" is not a rate'],
    [['throttling', 'maybe'], 'throttling "maybe" is not on or off'],
    [['clock', '10x'], '"10x" is not a duration: use +<n><ms|s|m|h|d>'],
    [['wait', 'some-task', 'UP'], '<status> "UP" is not a task status: use one of PROVISIONING, PENDING'],
    [['wait', 'some-task', 'RUNNING', '--timeout', '5'], '--timeout "5" is not a duration'],
    [['exit', 'some-task'], "missing required argument 'code'"],
    [['exit', 'some-task', '1', 'extra'], 'too many arguments'],
    [['launch'], "unknown command 'launch'"],
  ])('refuses %j (exit 2): %s', async (args, message) => {
    const result = await cli(args);
    expect(result.code).toBe(2);
    expect(result.err).toContain(message);
  });

  it('exits 1 with the sandbox answer when the sandbox refuses (an unknown task)', async () => {
    const result = await cli(['exit', 'ffffffffffffffffffffffffffffffff', '1']);
    expect(result.code).toBe(1);
    expect(result.err).toContain('Task ffffffffffffffffffffffffffffffff not found.');
  });

  it('the control endpoint refuses the same input with 400 and the message (curl users)', async () => {
    const task = await running();
    const post = async (command: string, body: unknown) => {
      const response = await fetch(`${sandbox.endpoint}/_sandbox/${command}`, {
        method: 'POST',
        body: JSON.stringify(body),
      });
      return { status: response.status, body: (await response.json()) as { message: string } };
    };
    expect(await post('exit', { taskId: task.id, code: 'abc' })).toEqual({
      status: 400,
      body: { message: 'exit: code "abc" is not an exit code: use an integer from 0 to 255' },
    });
    expect(await post('spot-capacity', { on: 'of' })).toMatchObject({ status: 400 });
    expect((await post('clock', { advance: '-5m' })).body.message).toContain('only moves forward');
    expect((await post('faults', { throttle: 1.5 })).body.message).toContain('not a rate');
    expect((await post('faults', { throttle: 0.5, api: ['RunTsk'] })).body.message).toBe(
      'The sandbox ECS has no operation RunTsk.',
    );
    expect((await post('events', { duplicate: 0.1, reorder: true })).body.message).toBe(
      'events: unknown field reorder (accepted: duplicate, shuffle)',
    );
    expect(await post('launch', {})).toEqual({
      status: 404,
      body: { message: 'unknown sandbox command "launch"' },
    });
    expect(statusOf(task.id)).toBe('RUNNING');
  });
});

describe('tables', () => {
  it('tasks: short ids, blank cells for none, never undefined, at most 120 columns', async () => {
    const origin = await runTask();
    const replacement = await runTask({
      startedBy: `ecs-autopilot/restart/${origin.id}/1`,
      tags: [
        { key: 'ecs-autopilot:origin-task', value: origin.arn },
        { key: 'ecs-autopilot:attempt', value: '1' },
      ],
    });
    const { out } = await cli(['tasks']);
    const lines = out.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^TASK +STATUS +CAPACITY +STARTED BY +ATTEMPT +ORIGIN$/);
    expect(out).not.toContain('undefined');
    expect(out).not.toContain('arn:aws:ecs');
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(120);
    const row = lines.find((line) => line.startsWith(replacement.id));
    // The whole startedBy when it fits; its start cut when a wide status needs the room.
    expect(row).toContain(`restart/${origin.id.slice(0, 8)}…/1`);
    expect(row).toMatch(new RegExp(`  1  +${origin.id.slice(0, 8)}…$`));
    expect(lines.find((line) => line.startsWith(origin.id))).toMatch(/FARGATE$/);
  });

  it('tasks: a typical replacement row shows everything; long values are cut to 120 columns, the task id never', async () => {
    const { formatTable, TASK_COLUMNS } = await import('../../local/textTable');
    const origin = 'b'.repeat(32);
    const row = (extra: Partial<TaskTableRow>): TaskTableRow => ({
      taskId: 'a'.repeat(32),
      cluster: 'sandbox',
      lastStatus: 'RUNNING',
      desiredStatus: 'RUNNING',
      launchType: 'FARGATE',
      startedBy: `ecs-autopilot/restart/${origin}/1`,
      tags: { 'ecs-autopilot:attempt': '1', 'ecs-autopilot:origin-task': `arn:aws:ecs:x:1:task/c/${origin}` },
      ...extra,
    });
    const typical = formatTable(TASK_COLUMNS, [row({})]).split('\n')[1];
    expect(typical).toBe(
      `${'a'.repeat(32)}  RUNNING  FARGATE   ecs-autopilot/restart/bbbbbbbb…/1  1        bbbbbbbb…`,
    );
    const long = formatTable(TASK_COLUMNS, [
      row({
        lastStatus: 'DEPROVISIONING',
        desiredStatus: 'STOPPED',
        capacityProvider: `provider-${'p'.repeat(240)}`,
        startedBy: `ecs-autopilot/schedule/${'nightly-report-'.repeat(7)}end`,
        tags: {
          'ecs-autopilot:attempt': '12',
          'ecs-autopilot:origin-task': `arn:aws:ecs:x:1:task/c/${origin}`,
        },
      }),
    ]);
    for (const line of long.split('\n')) expect(line.length).toBeLessThanOrEqual(120);
    const cells = long.split('\n')[1];
    expect(cells).toContain('a'.repeat(32));
    expect(cells).toContain('DEPROVISIONING->STOPPED');
    expect(cells).toMatch(/provider-p+… /);
    expect(cells).toMatch(/ …[a-z-]*nightly-report-end /);
  });

  it('instances: every container instance with its provider, Spot or not, status and tasks', async () => {
    const { out, code } = await cli(['instances']);
    expect(code).toBe(0);
    const arns = await ecs.send(new ListContainerInstancesCommand({ cluster: 'sandbox' }));
    const described = await ecs.send(
      new DescribeContainerInstancesCommand({
        cluster: 'sandbox',
        containerInstances: arns.containerInstanceArns,
      }),
    );
    const lines = out.trimEnd().split('\n');
    expect(lines[0]).toMatch(
      /^EC2 INSTANCE +CLUSTER +CAPACITY PROVIDER +SPOT +STATUS +RUNNING TASKS +PENDING TASKS$/,
    );
    expect(described.containerInstances?.length).toBeGreaterThan(0);
    for (const instance of described.containerInstances ?? []) {
      const line = lines.find((l) => l.startsWith(`${instance.ec2InstanceId} `));
      const spot = instance.capacityProviderName?.includes('spot') ? 'yes' : 'no';
      expect(line).toMatch(
        new RegExp(
          `^${instance.ec2InstanceId} +sandbox +${instance.capacityProviderName} +${spot} +ACTIVE +0 +0$`,
        ),
      );
    }
  });
});

describe('wait and wait-replacement', () => {
  it('wait: prints the status changes, then the task id once it is RUNNING', async () => {
    const task = await runTask();
    const result = await cli(['wait', task.arn, 'running']);
    expect(result.code).toBe(0);
    expect(result.out.trim()).toBe(task.id);
    expect(result.err).toMatch(new RegExp(`task ${task.id}: PROVISIONING[^]*task ${task.id}: RUNNING`));
  });

  it('wait: exits 1 on timeout, naming the last status seen; at once for a status the task is past', async () => {
    const task = await running();
    const timedOut = await cli(['wait', task.id, 'STOPPED', '--timeout', '500ms']);
    expect(timedOut.code).toBe(1);
    expect(timedOut.err).toContain(
      `timed out after 0.5s waiting for task ${task.id} to be STOPPED; last status RUNNING`,
    );
    const past = await cli(['wait', task.id, 'PENDING', '--timeout', '10s']);
    expect(past.code).toBe(1);
    expect(past.err).toContain(`task ${task.id} is RUNNING, past PENDING`);
    expect((await cli(['wait', 'ffffffffffffffffffffffffffffffff', 'RUNNING'])).err).toContain(
      'no task ffffffffffffffffffffffffffffffff in the sandbox',
    );
  });

  it('wait-replacement: waits for a task of the lineage to run and prints its id', async () => {
    const origin = await running();
    const waiting = cli(['wait-replacement', origin.id, '--timeout', '20s']);
    await new Promise((r) => setTimeout(r, 400));
    // What ecs-autopilot's restart launches: the origin tag names the first task of the lineage.
    const replacement = await runTask({
      startedBy: `ecs-autopilot/restart/${origin.id}/1`,
      tags: [{ key: 'ecs-autopilot:origin-task', value: origin.arn }],
    });
    const result = await waiting;
    expect(result.code).toBe(0);
    expect(result.out.trim()).toBe(replacement.id);
    expect(result.err).toContain(`no replacement yet`);
    expect(result.err).toContain(`replacement ${replacement.id}: RUNNING`);
    // The replacement's own replacement shares the lineage's origin tag, and comes after it.
    const next = await runTask({ tags: [{ key: 'ecs-autopilot:origin-task', value: origin.arn }] });
    const again = await cli(['wait-replacement', replacement.arn, '--timeout', '20s']);
    expect(again.out.trim()).toBe(next.id);
  });

  it('wait-replacement: exits 1 on timeout when no replacement came', async () => {
    const lonely = await running();
    const result = await cli(['wait-replacement', lonely.id, '--timeout', '300ms']);
    expect(result.code).toBe(1);
    expect(result.err).toContain(`timed out after 0.3s: no replacement of task ${lonely.id} was started`);
  });
});
