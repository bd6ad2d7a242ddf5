/**
 * `npm run sandbox -- <command>`: fault injection and inspection through the sandbox's control endpoint
 * (`/_sandbox/<command>` on the AWS endpoint). Exit codes: 0 done, 1 the sandbox refused or could not be
 * reached (or a wait timed out), 2 a usage error (nothing was sent).
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import {
  ControlInputError,
  clockAdvance,
  duration,
  exitCode,
  onOff,
  rate,
  TASK_STATUSES,
  type TaskLastStatus,
  taskStatus,
} from './controlInput';
import type { InstanceTableRow, TaskTableRow } from './ecs';
import { formatTable, INSTANCE_COLUMNS, TASK_COLUMNS } from './textTable';

export interface CliIo {
  env: NodeJS.ProcessEnv;
  /** Results (a table, a task id): what a script captures. */
  out: (text: string) => void;
  /** Errors and progress. */
  err: (text: string) => void;
}

const processIo: CliIo = {
  env: process.env,
  out: (text) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
  err: (text) => process.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
};

/** SANDBOX_ENDPOINT, else AWS_ENDPOINT_URL (as the README's Try-it block exports it), else SANDBOX_PORT. */
export function sandboxEndpoint(env: NodeJS.ProcessEnv): string {
  const given = [env.SANDBOX_ENDPOINT, env.AWS_ENDPOINT_URL].find((value) => value?.trim());
  return (given ?? `http://127.0.0.1:${env.SANDBOX_PORT?.trim() || 4566}`).trim().replace(/\/+$/, '');
}

/** The sandbox answered with an error, could not be reached, or a wait failed: exit 1. */
class SandboxError extends Error {}

const ORIGIN_TAG = 'ecs-autopilot:origin-task';
const POLL_MS = 200;
const lastSegment = (ref: string) => ref.slice(ref.lastIndexOf('/') + 1);
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)}s`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Commander's argument parsers: the shared checks. Their ControlInputError passes through commander (it
 * catches only its own InvalidArgumentError), so the message is the check's own: argument, value, forms.
 */
const parser =
  <T>(check: (name: string, value: unknown) => T, name: string) =>
  (value: string): T =>
    check(name, value);

export async function runCli(argv: string[], io: CliIo = processIo): Promise<number> {
  const endpoint = sandboxEndpoint(io.env);

  async function call<T>(command: string, body: unknown = {}): Promise<T> {
    let response: Response;
    try {
      response = await fetch(`${endpoint}/_sandbox/${command}`, {
        method: 'POST',
        body: JSON.stringify(body),
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      throw new SandboxError(
        `cannot reach the sandbox at ${endpoint} (is npm start running? set AWS_ENDPOINT_URL or SANDBOX_PORT)` +
          (cause ? `: ${cause.code ?? cause.message}` : ''),
      );
    }
    const text = await response.text();
    if (!response.ok) {
      let message = text;
      try {
        message = (JSON.parse(text) as { message?: string }).message ?? text;
      } catch {
        // not JSON: shown as it came
      }
      throw new SandboxError(`${command} failed (${response.status} from ${endpoint}): ${message}`);
    }
    return (text ? JSON.parse(text) : undefined) as T;
  }
  const print = async (command: string, body?: unknown) => {
    const result = await call<unknown>(command, body);
    io.out(typeof result === 'string' ? result : JSON.stringify(result ?? { ok: true }, null, 2));
  };

  /** Polls the task table until `done` returns a value; `describe` says what is awaited, for a timeout. */
  async function poll<T>(
    timeoutMs: number,
    step: (rows: TaskTableRow[], elapsedMs: number) => T | undefined,
    onTimeout: () => string,
  ): Promise<T> {
    const started = Date.now();
    for (;;) {
      const value = step(await call<TaskTableRow[]>('tasks'), Date.now() - started);
      if (value !== undefined) return value;
      if (Date.now() - started >= timeoutMs) throw new SandboxError(onTimeout());
      await sleep(POLL_MS);
    }
  }

  const order = (status: string) => TASK_STATUSES.indexOf(status as TaskLastStatus);
  /** Throws once the task is past `status` in its lifecycle: it will never be in it again. */
  const checkNotPast = (row: TaskTableRow, status: TaskLastStatus) => {
    if (order(row.lastStatus) > order(status)) {
      throw new SandboxError(
        `task ${row.taskId} is ${row.lastStatus}, past ${status}: it will not be ${status}`,
      );
    }
  };

  async function waitForStatus(taskRef: string, status: TaskLastStatus, timeoutMs: number) {
    const taskId = lastSegment(taskRef);
    let last: string | undefined;
    await poll(
      timeoutMs,
      (rows, elapsed) => {
        const row = rows.find((r) => r.taskId === taskId);
        if (!row)
          throw new SandboxError(`no task ${taskId} in the sandbox (npm run sandbox -- tasks lists them)`);
        if (row.lastStatus !== last) io.err(`task ${taskId}: ${row.lastStatus} (${seconds(elapsed)})`);
        last = row.lastStatus;
        if (row.lastStatus === status) return true;
        checkNotPast(row, status);
        return undefined;
      },
      () =>
        `timed out after ${seconds(timeoutMs)} waiting for task ${taskId} to be ${status}; last status ${last}`,
    );
    io.out(taskId);
  }

  /**
   * A replacement of the task: a later task of its lineage, whose origin tag names the lineage's first task
   * (ecs-autopilot tags every replacement so) or whose startedBy names it. The newest one in `status` wins.
   */
  async function waitForReplacement(taskRef: string, status: TaskLastStatus, timeoutMs: number) {
    const taskId = lastSegment(taskRef);
    const seen = new Map<string, string>();
    const found = await poll(
      timeoutMs,
      (rows, elapsed) => {
        const index = rows.findIndex((r) => r.taskId === taskId);
        const task = rows[index];
        if (!task)
          throw new SandboxError(`no task ${taskId} in the sandbox (npm run sandbox -- tasks lists them)`);
        const lineage = lastSegment(task.tags[ORIGIN_TAG] ?? taskId);
        const replacements = rows
          .slice(index + 1)
          .filter(
            (r) =>
              (r.tags[ORIGIN_TAG] !== undefined && lastSegment(r.tags[ORIGIN_TAG]) === lineage) ||
              r.startedBy?.includes(lineage),
          );
        for (const r of replacements) {
          if (seen.get(r.taskId) !== r.lastStatus)
            io.err(`replacement ${r.taskId}: ${r.lastStatus} (${seconds(elapsed)})`);
          seen.set(r.taskId, r.lastStatus);
        }
        const match = replacements.filter((r) => r.lastStatus === status).at(-1);
        if (match) return match.taskId;
        if (replacements.length === 0 && !seen.has('')) {
          io.err(`task ${taskId}: ${task.lastStatus}, no replacement yet (${seconds(elapsed)})`);
          seen.set('', '');
        }
        return undefined;
      },
      () => {
        const last = [...seen].filter(([id]) => id).at(-1);
        return last
          ? `timed out after ${seconds(timeoutMs)} waiting for a replacement of task ${taskId} to be ${status}; last seen ${last[0]} ${last[1]}`
          : `timed out after ${seconds(timeoutMs)}: no replacement of task ${taskId} was started`;
      },
    );
    io.out(found);
  }

  const program = new Command('npm run sandbox --')
    .description('Fault injection and inspection of the running sandbox (npm start).')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.out(text.trimEnd()),
      writeErr: (text) => io.err(text.trimEnd()),
    })
    .showHelpAfterError('(npm run sandbox -- help lists the commands)')
    .addHelpText(
      'after',
      [
        '',
        'The sandbox endpoint is SANDBOX_ENDPOINT, else AWS_ENDPOINT_URL, else http://127.0.0.1:<SANDBOX_PORT, default 4566>.',
        'Exit codes: 0 done, 1 the sandbox refused, could not be reached, or a wait timed out, 2 a usage error.',
      ].join('\n'),
    );
  program.configureHelp({ sortSubcommands: false });

  const timeoutOption = () =>
    new Option('--timeout <duration>', 'give up after this long (real time)')
      .default(60_000, '60s')
      .argParser(parser(duration, '--timeout'));
  const statusArgument = (name: string) => parser(taskStatus, name);

  program
    .command('tasks')
    .description('table of tasks: id, status, capacity, startedBy, restart attempt, origin task')
    .action(async () => {
      const rows = await call<TaskTableRow[]>('tasks');
      io.out(rows.length ? formatTable(TASK_COLUMNS, rows) : 'no tasks');
    });
  program
    .command('instances')
    .description('table of container instances: the EC2 instance ids spot-warning takes')
    .action(async () => {
      const rows = await call<InstanceTableRow[]>('instances');
      io.out(rows.length ? formatTable(INSTANCE_COLUMNS, rows) : 'no container instances');
    });
  program
    .command('exit')
    .description("the task's essential container exits with <code>")
    .argument('<taskId>', 'task id or ARN')
    .argument('<code>', 'exit code, an integer from 0 to 255', parser(exitCode, '<code>'))
    .action((taskId: string, code: number) => print('exit', { taskId, code }));
  program
    .command('oom')
    .description('the essential container is killed for memory (exit 137)')
    .argument('<taskId>', 'task id or ARN')
    .action((taskId: string) => print('oom', { taskId }));
  program
    .command('fail-start')
    .description('the task stops with TaskFailedToStart (e.g. "CannotPullContainerError: not found")')
    .argument('<taskId>', 'task id or ARN')
    .argument('<reason...>', 'the stopped reason')
    .action((taskId: string, reason: string[]) => print('fail-start', { taskId, reason: reason.join(' ') }));
  program
    .command('interrupt')
    .description('Fargate Spot: the two-minute warning event, then the stop')
    .argument('<taskId>', 'task id or ARN')
    .action((taskId: string) => print('interrupt', { taskId }));
  program
    .command('spot-warning')
    .description('EC2 Spot Instance Interruption Warning for that instance (see instances)')
    .argument('<ec2InstanceId>', 'e.g. the EC2 INSTANCE column of instances')
    .action((instanceId: string) => print('spot-warning', { instanceId }));
  program
    .command('spot-capacity')
    .description('Spot launches fail for lack of capacity (off) or work again (on)')
    .argument('<on|off>', 'on or off', parser(onOff, 'spot-capacity'))
    .action((on: boolean) => print('spot-capacity', { on }));
  program
    .command('faults')
    .description('random ThrottlingException / ServerException answers from ECS (0 turns them off)')
    .addOption(
      new Option('--throttle <rate>', 'share of calls throttled, 0 to 1').argParser(
        parser(rate, '--throttle'),
      ),
    )
    .addOption(
      new Option('--error <rate>', 'share of calls failed (500), 0 to 1').argParser(parser(rate, '--error')),
    )
    .option(
      '--api <operation>',
      'only this ECS operation, e.g. RunTask (repeatable)',
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .action((options: { throttle?: number; error?: number; api?: string[] }) =>
      print('faults', { throttle: options.throttle ?? 0, error: options.error ?? 0, api: options.api }),
    );
  program
    .command('throttling')
    .description("ECS's published token buckets (on by default)")
    .argument('<on|off>', 'on or off', parser(onOff, 'throttling'))
    .action((on: boolean) => print('throttling', { on }));
  program
    .command('events')
    .description('deliver a share of events twice; shuffle their order')
    .addOption(
      new Option('--duplicate <rate>', 'share of events delivered twice, 0 to 1').argParser(
        parser(rate, '--duplicate'),
      ),
    )
    .option('--shuffle', 'deliver events out of order (within 2 s)')
    .action((options: { duplicate?: number; shuffle?: boolean }) =>
      print('events', { duplicate: options.duplicate ?? 0, shuffle: options.shuffle ?? false }),
    );
  program
    .command('clock')
    .description('fast-forward the sandbox clock (it runs in real time otherwise, and never goes back)')
    .argument('<+duration>', '+<n><ms|s|m|h|d>, e.g. +30s, +10m', parser(clockAdvance, '<+duration>'))
    // "-5m" is a duration to refuse with a reason, not an unknown option.
    .allowUnknownOption()
    .action((_ms: number, _options: unknown, command: Command) =>
      print('clock', { advance: command.args[0] }),
    );
  program
    .command('emit')
    .description('deliver an event file to the matching rules, as if AWS had sent it')
    .argument('<event.json>', 'a file with one EventBridge event')
    .action((file: string) => {
      let event: unknown;
      try {
        event = JSON.parse(readFileSync(file, 'utf8'));
      } catch (error) {
        throw new ControlInputError(`<event.json> ${file}: ${(error as Error).message}`);
      }
      return print('emit', { event });
    });
  program
    .command('stats')
    .description('AWS calls served, events, invocations')
    .action(() => print('stats'));
  program
    .command('wait')
    .description("wait until the task's lastStatus is <status>; prints the task id")
    .argument('<taskId>', 'task id or ARN')
    .argument('<status>', `one of ${TASK_STATUSES.join(', ')}`, statusArgument('<status>'))
    .addOption(timeoutOption())
    .action((taskId: string, status: TaskLastStatus, options: { timeout: number }) =>
      waitForStatus(taskId, status, options.timeout),
    );
  program
    .command('wait-replacement')
    .description(
      'wait until a replacement of the task (a restart, a Spot move) is in --status; prints its id',
    )
    .argument('<taskId>', 'task id or ARN')
    .addOption(
      new Option('--status <status>', 'the status to wait for')
        .default('RUNNING')
        .argParser(statusArgument('--status')),
    )
    .addOption(timeoutOption())
    .action((taskId: string, options: { status: TaskLastStatus; timeout: number }) =>
      waitForReplacement(taskId, options.status, options.timeout),
    );

  try {
    await program.parseAsync(argv.length === 0 ? ['help'] : argv, { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    if (error instanceof ControlInputError) {
      io.err(`error: ${error.message}\n(npm run sandbox -- help lists the commands)`);
      return 2;
    }
    io.err(error instanceof SandboxError ? error.message : String((error as Error)?.stack ?? error));
    return 1;
  }
}
