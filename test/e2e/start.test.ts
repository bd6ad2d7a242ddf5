/**
 * `npm start` as a user runs it: two sandboxes side by side (their own SANDBOX_PORT and PORT, the Lambda
 * port picked), progress while starting, `npm run package` while they run, and the README's Try-it steps
 * through the control CLI.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ECSClient, RunTaskCommand } from '@aws-sdk/client-ecs';
import { SUBNETS } from '../support/sandbox';
import { sandboxFetch } from '../support/signedFetch';

const exec = promisify(execFile);
const ROOT = join(__dirname, '..', '..');
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');
const BUILD_ROOT = join(ROOT, '.esbuild-sandbox');

interface Started {
  child: ChildProcess;
  output: () => string;
  endpoint: string;
  apiUrl: string;
  lambdaPort: number;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** `npm start` with its own SANDBOX_PORT and PORT and no LAMBDA_PORT, until its banner says ready. */
async function npmStart(): Promise<Started> {
  const [sandboxPort, httpPort] = [await freePort(), await freePort()];
  const { LAMBDA_PORT: _unset, ...env } = process.env;
  const child = spawn(TSX, [join(ROOT, 'local', 'start.ts')], {
    cwd: ROOT,
    env: { ...env, SANDBOX_PORT: String(sandboxPort), PORT: String(httpPort), SANDBOX_QUIET: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (/sandbox ready in/.test(output) && /curl -s/.test(output)) resolve();
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`npm start exited with ${code}:\n${output}`)));
  });
  const lambdaPort = Number(/Lambda invoke endpoint[^\n]*http:\/\/127\.0\.0\.1:(\d+)/.exec(output)?.[1]);
  return {
    child,
    output: () => output,
    endpoint: `http://127.0.0.1:${sandboxPort}`,
    apiUrl: `http://127.0.0.1:${httpPort}`,
    lambdaPort,
  };
}

async function stop(started: Started | undefined) {
  if (!started || started.child.exitCode !== null) return;
  const exited = new Promise((resolve) => started.child.once('exit', resolve));
  started.child.kill('SIGINT');
  await exited;
}

let first: Started;
let second: Started;

beforeAll(async () => {
  const results = await Promise.allSettled([npmStart(), npmStart()]);
  const started = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const failed = results.find((r) => r.status === 'rejected');
  if (failed) {
    await Promise.all(started.map(stop)); // no sandbox left running when the other could not start
    throw failed.reason;
  }
  [first, second] = started as [Started, Started];
}, 120_000);
afterAll(async () => {
  await Promise.all([stop(first), stop(second)]);
});

describe('npm start', () => {
  it('runs beside another sandbox: its own ports, the Lambda port picked and shown in the banner', () => {
    for (const started of [first, second]) {
      const banner = started.output();
      expect(banner).toContain(
        `AWS endpoint (ECS, EventBridge, Scheduler, SQS, DynamoDB): ${started.endpoint}`,
      );
      expect(banner).toContain(
        `HTTP API:                                                  ${started.apiUrl}`,
      );
      expect(started.lambdaPort).toBeGreaterThan(0);
    }
    expect(first.lambdaPort).not.toBe(second.lambdaPort);
  });

  it('prints its progress while starting, each step with the time since it began', () => {
    const output = first.output();
    const steps = [
      'AWS endpoint listening on',
      'serverless-offline starting',
      'stack read from serverless.yml',
      'tables, queues, rules and schedules created',
      'functions bundled with esbuild',
      'serverless-offline ready',
      'sandbox ready in',
    ].map((step) => output.indexOf(step));
    expect(steps.every((index) => index >= 0)).toBe(true);
    // The stack is read beside the bundling: only the bundling and the ready lines have a set order.
    expect(steps[4]).toBeLessThan(steps[5] as number);
    expect(steps[5]).toBeLessThan(steps[6] as number);
    expect(output).toMatch(/^ +\d+\.\ds {2}functions bundled with esbuild$/m);
  });

  it('keeps serving its functions while `npm run package` rebuilds and removes .esbuild', async () => {
    const packageDir = mkdtempSync(join(tmpdir(), 'package-while-sandbox-'));
    try {
      // No request reached the API function yet: its first one loads the bundle from disk (a cold start).
      await exec(process.execPath, [join(ROOT, 'scripts', 'package.mjs'), '--package', packageDir], {
        cwd: ROOT,
        env: process.env,
      });
      expect(existsSync(join(packageDir, 'cloudformation-template-update-stack.json'))).toBe(true);
      const response = await sandboxFetch(`${first.apiUrl}/tasks/ffffffffffffffffffffffffffffffff`);
      expect(response.status).toBe(404);
      // Unsigned, as API Gateway answers on an AWS_IAM route.
      const unsigned = await fetch(`${first.apiUrl}/tasks/ffffffffffffffffffffffffffffffff`);
      expect(unsigned.status).toBe(403);
    } finally {
      rmSync(packageDir, { recursive: true, force: true });
    }
  }, 120_000);

  it("makes the README's Try-it steps pasteable: launch, wait RUNNING, exit 1, wait for the replacement", async () => {
    const env = {
      ...process.env,
      AWS_ENDPOINT_URL: second.endpoint,
      SANDBOX_ENDPOINT: '',
      SANDBOX_PORT: '',
    };
    const cli = (...args: string[]) =>
      exec(TSX, [join(ROOT, 'local', 'cli.ts'), ...args], { cwd: ROOT, env });
    const ecs = new ECSClient({
      region: 'us-east-1',
      endpoint: second.endpoint,
      credentials: { accessKeyId: 'sandbox', secretAccessKey: 'sandbox' },
    });
    try {
      const run = await ecs.send(
        new RunTaskCommand({
          cluster: 'sandbox',
          taskDefinition: 'sandbox-worker',
          launchType: 'FARGATE',
          networkConfiguration: { awsvpcConfiguration: { subnets: SUBNETS } },
        }),
      );
      const task = run.tasks?.[0]?.taskArn as string;
      const taskId = task.split('/').pop() as string;
      const running = await cli('wait', task, 'RUNNING');
      expect(running.stdout.trim()).toBe(taskId);
      expect(running.stderr).toContain(`task ${taskId}: RUNNING`);
      await cli('exit', taskId, '1');
      // The restart backoff passes on the sandbox clock, in real time: no `clock` needed.
      const replacement = await cli('wait-replacement', task, '--timeout', '90s');
      const replacementId = replacement.stdout.trim();
      expect(replacementId).toMatch(/^[0-9a-f]{32}$/);
      const table = (await cli('tasks')).stdout;
      const row = table.split('\n').find((line) => line.startsWith(replacementId));
      expect(row).toMatch(
        new RegExp(
          `RUNNING +FARGATE +ecs-autopilot/restart/${taskId.slice(0, 8)}…/1 +1 +${taskId.slice(0, 8)}…`,
        ),
      );
    } finally {
      ecs.destroy();
    }
  }, 120_000);

  it('builds into its own folder under .esbuild-sandbox, removed when it stops', async () => {
    const folders = () => (existsSync(BUILD_ROOT) ? readdirSync(BUILD_ROOT) : []);
    const own = (started: Started) => folders().filter((name) => name.endsWith(`-${started.lambdaPort}`));
    expect(own(first)).toHaveLength(1);
    expect(own(second)).toHaveLength(1);
    expect(own(second)[0]).not.toBe(own(first)[0]);
    await stop(second);
    expect(own(second)).toEqual([]);
    expect(own(first)).toHaveLength(1);
  }, 30_000);
});
