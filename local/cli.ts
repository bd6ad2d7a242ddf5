/** `npm run sandbox -- <command>`: fault injection and inspection through the sandbox's control endpoint. */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const HELP = `usage: npm run sandbox -- <command>

  tasks                              table of tasks: id, status, capacity provider, startedBy, attempt tags
  exit <taskId> <code>               the task's essential container exits with <code>
  oom <taskId>                       the essential container is killed for memory (exit 137)
  fail-start <taskId> <reason>       the task stops with TaskFailedToStart (e.g. "CannotPullContainerError: not found")
  interrupt <taskId>                 Fargate Spot: the two-minute warning event, then the stop
  spot-warning <ec2InstanceId>       EC2 Spot Instance Interruption Warning for that instance
  spot-capacity off|on               Spot launches fail for lack of capacity (off) or work again (on)
  faults --throttle 0.2 --error 0.05 [--api RunTask]   random ThrottlingException / ServerException from ECS
  throttling off|on                  ECS's published token buckets (on by default)
  events --duplicate 0.3 [--shuffle] deliver a share of events twice; shuffle their order
  clock +10m                         fast-forward the sandbox clock (ms, s, m, h, d)
  emit <event.json>                  deliver an event file to the matching rules, as if AWS had sent it
  stats                              AWS calls served, events, invocations

The sandbox endpoint is SANDBOX_ENDPOINT, else http://127.0.0.1:\${SANDBOX_PORT:-4566}.`;

const endpoint = process.env.SANDBOX_ENDPOINT ?? `http://127.0.0.1:${process.env.SANDBOX_PORT ?? 4566}`;

async function call(command: string, body: unknown = {}): Promise<unknown> {
  const response = await fetch(`${endpoint}/_sandbox/${command}`, {
    method: 'POST',
    body: JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${command} failed (${response.status}): ${text}`);
  return text ? JSON.parse(text) : undefined;
}

function need(value: string | undefined, what: string): string {
  if (!value) throw new Error(`missing ${what}\n\n${HELP}`);
  return value;
}

async function main(argv: string[]) {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      throttle: { type: 'string' },
      error: { type: 'string' },
      api: { type: 'string', multiple: true },
      duplicate: { type: 'string' },
      shuffle: { type: 'boolean' },
    },
  });
  const [command, a, ...rest] = positionals;
  switch (command) {
    case undefined:
    case 'help':
      return console.log(HELP);
    case 'tasks': {
      const rows = (await call('tasks')) as Record<string, unknown>[];
      const table = rows.map((r) => ({
        taskId: r.taskId,
        status: `${r.lastStatus}${r.desiredStatus !== r.lastStatus ? `->${r.desiredStatus}` : ''}`,
        capacity: r.capacityProvider ?? r.launchType,
        startedBy: r.startedBy,
        attempt: (r.tags as Record<string, string> | undefined)?.['ecs-autopilot:attempt'] ?? '',
        origin: (r.tags as Record<string, string> | undefined)?.['ecs-autopilot:origin-task'] ?? '',
      }));
      return table.length ? console.table(table) : console.log('no tasks');
    }
    case 'exit':
      return console.log(
        await call('exit', { taskId: need(a, 'taskId'), code: Number(need(rest[0], 'exit code')) }),
      );
    case 'oom':
      return console.log(await call('oom', { taskId: need(a, 'taskId') }));
    case 'fail-start':
      return console.log(
        await call('fail-start', { taskId: need(a, 'taskId'), reason: need(rest.join(' '), 'reason') }),
      );
    case 'interrupt':
      return console.log(await call('interrupt', { taskId: need(a, 'taskId') }));
    case 'spot-warning':
      return console.log(await call('spot-warning', { instanceId: need(a, 'ec2InstanceId') }));
    case 'spot-capacity':
      return console.log(await call('spot-capacity', { on: need(a, 'on|off') === 'on' }));
    case 'throttling':
      return console.log(await call('throttling', { on: need(a, 'on|off') === 'on' }));
    case 'faults':
      return console.log(
        await call('faults', {
          throttle: Number(values.throttle ?? 0),
          error: Number(values.error ?? 0),
          api: values.api,
        }),
      );
    case 'events':
      return console.log(
        await call('events', { duplicate: Number(values.duplicate ?? 0), shuffle: values.shuffle ?? false }),
      );
    case 'clock':
      return console.log(await call('clock', { advance: need(a, 'duration, e.g. +10m') }));
    case 'emit':
      return console.log(
        await call('emit', { event: JSON.parse(readFileSync(need(a, 'event file'), 'utf8')) }),
      );
    case 'stats':
      return console.log(JSON.stringify(await call('stats'), null, 2));
    default:
      throw new Error(`unknown command ${command}\n\n${HELP}`);
  }
}

main(process.argv.slice(2)).catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
