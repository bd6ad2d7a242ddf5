/**
 * The commands that call the HTTP API, one or more per route of the route table (src/app/api/routes.ts).
 * Routes with a command of their own below get it (names people know: `tasks get`, `schedules pause`);
 * any other route gets one generated from its declaration (its tag, operationId, path parameters as
 * arguments, query parameters as options, a body from --file), so a route added to the table is on the
 * command line at once, and the test that compares commands and routes keeps the two from drifting.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { Option } from 'commander';
import { parse as parseYaml } from 'yaml';
import { ROUTES, type RouteKey, type RouteSpec } from '../app/api/routes';
import { READ_ONLY_SCHEDULE_FIELDS } from '../domain/schedule';
import { describeIssues } from '../http';
import * as z from '../zod';
import { diffLines } from './diff';
import { lastSegment, type OutputFormat, progress } from './output';
import { RefusedError, type StageContext, UsageError } from './stage';
import * as views from './views';

type Json = Record<string, unknown>;

/** What a command prints: the API's answer, and how it reads as a table (JSON output prints `body`). */
export interface CommandResult {
  body: unknown;
  view?: (body: Json) => string;
  /** Printed instead of the view (and before the JSON) when there is no answer to show, e.g. a dry run. */
  text?: string;
}

export interface CommandEnv {
  stage: () => StageContext;
  output: OutputFormat;
}

export interface RouteCommandSpec {
  route: RouteKey;
  /** [group, name]: `ecs-autopilot <group> <name>`; [name]: `ecs-autopilot <name>`. */
  name: [string, string] | [string];
  summary?: string;
  configure?: (command: Command) => void;
  run: (env: CommandEnv, args: string[], options: Json) => Promise<CommandResult>;
}

// ---------- the route's own declaration: paths, query options, bodies ----------

/** The route's path with its parameters filled in (each checked by the route's own schema: exit 2 if wrong). */
export function routePath(
  key: RouteKey,
  values: Record<string, string>,
  spec: RouteSpec = ROUTES[key],
): string {
  const [, template = ''] = key.split(' ');
  return template.replace(/\{(\w+)\}/g, (_, name: string) => {
    const parameter = spec.path?.[name];
    const value = values[name];
    if (value === undefined) throw new UsageError(`missing argument <${name}>`);
    const checked = parameter?.schema.safeParse(value);
    if (checked && !checked.success)
      throw new UsageError(`invalid ${describeIssues(checked.error, `<${name}>`)}`);
    return encodeURIComponent(value);
  });
}

interface QueryParameter {
  name: string;
  required: boolean;
  description?: string;
  choices?: string[];
}

/** The route's query parameters, from its query schema (the same JSON Schema the OpenAPI document shows). */
export function queryParameters(spec: RouteSpec): QueryParameter[] {
  if (!spec.query) return [];
  const schema = z.toJSONSchema(spec.query, { io: 'input', unrepresentable: 'any' }) as {
    properties?: Record<string, { description?: string; enum?: string[] }>;
    required?: string[];
  };
  return Object.entries(schema.properties ?? {}).map(([name, property]) => ({
    name,
    required: schema.required?.includes(name) ?? false,
    description: property.description,
    choices: property.enum,
  }));
}

const kebab = (name: string) => name.replace(/([A-Z])/g, '-$1').toLowerCase();
const camel = (name: string) => name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

function addQueryOptions(command: Command, spec: RouteSpec): void {
  for (const p of queryParameters(spec)) {
    const option = new Option(`--${kebab(p.name)} <${kebab(p.name)}>`, p.description ?? p.name);
    if (p.choices) option.choices(p.choices);
    if (p.required) option.makeOptionMandatory();
    command.addOption(option);
  }
}

function queryOf(spec: RouteSpec, options: Json): Record<string, string | undefined> {
  return Object.fromEntries(
    queryParameters(spec).map((p) => [p.name, options[camel(kebab(p.name))] as string | undefined]),
  );
}

/** A JSON or YAML file (JSON is YAML), as the object it holds. */
export function readDocument(path: string): Json {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read ${path}: ${(error as Error).message}`);
  }
  let value: unknown;
  try {
    value = parseYaml(text);
  } catch (error) {
    throw new UsageError(`${path} is neither JSON nor YAML: ${(error as Error).message}`);
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    throw new UsageError(
      `${path} must hold one object (a mapping), not ${Array.isArray(value) ? 'a list' : typeof value}`,
    );
  }
  return value as Json;
}

/** The body checked against the route's body schema before anything is sent (exit 2, the API's words). */
function checkedBody(key: RouteKey, body: Json, source: string, spec: RouteSpec = ROUTES[key]): void {
  if (!spec.body) return;
  const result = spec.body.schema.safeParse(body);
  if (!result.success) throw new UsageError(`${source}: invalid body: ${describeIssues(result.error)}`);
}

const idempotencyOption = () =>
  new Option(
    '--idempotency-key <key>',
    'makes a retried call start nothing twice (1 to 128 printable ASCII characters, e.g. a UUID)',
  );

const idempotencyHeader = (options: Json): Record<string, string> =>
  typeof options.idempotencyKey === 'string' ? { 'idempotency-key': options.idempotencyKey } : {};

/** `<cluster/service>`, as the services commands take it. */
const serviceArg = (c: Command) =>
  c.argument('<cluster/service>', 'the cluster and service names, e.g. batch/web');

function clusterService(both: string): { cluster: string; service: string } {
  const [cluster, service, ...rest] = both.split('/');
  if (!cluster || !service || rest.length) {
    throw new UsageError(`<cluster/service> must be two names joined by "/", e.g. batch/web (got "${both}")`);
  }
  return { cluster, service };
}

// ---------- waits ----------

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls until every task of a launch is RUNNING (or stopped), printing progress on stderr. */
async function waitForTasks(stage: StageContext, taskArns: string[], timeoutMs: number): Promise<Json[]> {
  const started = Date.now();
  const seen = new Map<string, string>();
  for (;;) {
    const states = await Promise.all(
      taskArns.map(async (arn) => {
        const taskId = lastSegment(arn) ?? arn;
        try {
          const { body } = await stage.call<Json>('GET', routePath('GET /tasks/{taskId}', { taskId }));
          return (body.task ?? {}) as Json;
        } catch (error) {
          if (error instanceof RefusedError && error.status === 404)
            return { taskId, lastStatus: 'PROVISIONING' };
          throw error;
        }
      }),
    );
    for (const t of states) {
      const status = String(t.lastStatus);
      if (seen.get(String(t.taskId)) !== status) {
        seen.set(String(t.taskId), status);
        progress(`  ${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s  ${t.taskId} ${status}`);
      }
    }
    if (states.every((t) => t.lastStatus === 'RUNNING' || t.lastStatus === 'STOPPED')) return states;
    if (Date.now() - started > timeoutMs) {
      throw new RefusedError(`timed out after ${timeoutMs / 1000} s waiting for the tasks to run`);
    }
    await sleep(1000);
  }
}

async function followLaunch(stage: StageContext, body: Json, timeoutMs: number): Promise<Json> {
  const started = Date.now();
  let launch = body;
  while (launch.status === 'PENDING') {
    if (Date.now() - started > timeoutMs) throw new RefusedError('timed out waiting for the queued launch');
    progress(
      `  launch ${launch.requestId} is queued (${launch.message ?? 'waiting'}), checking again in 2 s`,
    );
    await sleep(2000);
    launch = (
      await stage.call<Json>(
        'GET',
        routePath('GET /launches/{requestId}', { requestId: String(body.requestId) }),
      )
    ).body;
  }
  return launch;
}

// ---------- schedules from files, the way `ecschedule apply` works ----------

/** What GET answers besides the definition (bookkeeping, next run times, outcomes): never part of a diff. */
const BOOKKEEPING: readonly string[] = READ_ONLY_SCHEDULE_FIELDS;

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value as Json)
        .sort()
        .map((k) => [k, sortKeys((value as Json)[k])]),
    );
  }
  return value;
}

/** A schedule as the store keeps it: the create schema's output (defaults filled), no bookkeeping fields. */
function canonicalSchedule(schedule: Json): Json {
  const rest = Object.fromEntries(Object.entries(schedule).filter(([k]) => !BOOKKEEPING.includes(k)));
  const parsed = ROUTES['POST /schedules'].body.schema.safeParse(rest);
  return sortKeys(parsed.success ? parsed.data : rest) as Json;
}

async function storedSchedule(stage: StageContext, name: string): Promise<Json | undefined> {
  try {
    return (await stage.call<Json>('GET', routePath('GET /schedules/{name}', { name }))).body;
  } catch (error) {
    if (error instanceof RefusedError && error.status === 404) return undefined;
    throw error;
  }
}

function scheduleDiff(stored: Json | undefined, desired: Json): string {
  return diffLines(
    stored ? views.yaml(canonicalSchedule(stored)) : '',
    views.yaml(canonicalSchedule(desired)),
  );
}

const fileOption = (what: string) =>
  new Option('-f, --file <path>', `${what} (YAML or JSON)`).makeOptionMandatory();
const dryRunOption = () => new Option('--dry-run', 'show the difference from what is stored, change nothing');

// ---------- the commands ----------

const nameArg = (command: Command) => command.argument('<name>', 'the schedule name');

function patchState(state: 'PAUSED' | 'ENABLED'): RouteCommandSpec['run'] {
  return async (env, [name = '']) => {
    const { body } = await env
      .stage()
      .call('PATCH', routePath('PATCH /schedules/{name}', { name }), { body: { state } });
    return { body, view: (b) => `${b.name}: ${b.state} (version ${b.version})` };
  };
}

function listRun(key: RouteKey, view: (b: Json) => string, pathArgs: string[] = []): RouteCommandSpec['run'] {
  return async (env, args, options) => {
    const path = routePath(key, Object.fromEntries(pathArgs.map((name, i) => [name, args[i] ?? ''])));
    const { body } = await env.stage().call('GET', path, { query: queryOf(ROUTES[key], options) });
    return { body, view };
  };
}

function runTaskBody(options: Json): Json {
  const body: Json = options.file ? readDocument(String(options.file)) : {};
  const set = (name: string, value: unknown) => {
    if (value !== undefined) body[name] = value;
  };
  set('cluster', options.cluster);
  set('taskDefinition', options.taskDefinition);
  set('count', options.count === undefined ? undefined : Number(options.count));
  set('launchType', options.launchType);
  if (Array.isArray(options.capacityProvider)) {
    set(
      'capacityProviderStrategy',
      (options.capacityProvider as string[]).map((entry) => {
        const [capacityProvider, weight, base] = entry.split(':');
        return {
          capacityProvider,
          ...(weight && { weight: Number(weight) }),
          ...(base && { base: Number(base) }),
        };
      }),
    );
  }
  if (options.subnets || options.securityGroups || options.assignPublicIp) {
    const split = (v: unknown) => (typeof v === 'string' ? v.split(',').filter(Boolean) : undefined);
    body.networkConfiguration = {
      awsvpcConfiguration: {
        ...(split(options.subnets) && { subnets: split(options.subnets) }),
        ...(split(options.securityGroups) && { securityGroups: split(options.securityGroups) }),
        ...(options.assignPublicIp ? { assignPublicIp: options.assignPublicIp } : {}),
      },
    };
  }
  return body;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

export const ROUTE_COMMANDS: RouteCommandSpec[] = [
  {
    route: 'GET /tasks/{taskId}',
    name: ['tasks', 'get'],
    summary:
      "A task's transitions as a timeline, its classification, the restart decision and chain, the replacement.",
    configure: (c) => c.argument('<taskId>', 'the task id or ARN'),
    run: async (env, [task = '']) => {
      const taskId = lastSegment(task) ?? task;
      const { body } = await env.stage().call('GET', routePath('GET /tasks/{taskId}', { taskId }));
      return { body, view: views.taskHistory };
    },
  },
  {
    route: 'GET /tasks',
    name: ['tasks', 'list'],
    configure: (c) => addQueryOptions(c, ROUTES['GET /tasks']),
    run: listRun('GET /tasks', views.taskList),
  },
  {
    route: 'POST /tasks',
    name: ['tasks', 'run'],
    summary: 'Start tasks now through the launcher, from flags or a JSON/YAML file (flags win).',
    configure: (c) =>
      c
        .option('-f, --file <path>', 'the launch as YAML or JSON (the body of POST /tasks)')
        .option('--cluster <cluster>', 'cluster name')
        .option('--task-definition <taskDefinition>', 'family, family:revision or ARN')
        .option('--count <count>', 'how many tasks (1 to 10)')
        .addOption(new Option('--launch-type <type>', 'launch type').choices(['FARGATE', 'EC2', 'EXTERNAL']))
        .option(
          '--capacity-provider <name[:weight[:base]]>',
          'a capacity provider strategy item (repeatable)',
          collect,
        )
        .option('--subnets <ids>', 'awsvpc subnets, comma-separated')
        .option('--security-groups <ids>', 'awsvpc security groups, comma-separated')
        .addOption(
          new Option('--assign-public-ip <value>', 'awsvpc public IP').choices(['ENABLED', 'DISABLED']),
        )
        .addOption(idempotencyOption())
        .option('--wait', 'wait until the tasks are RUNNING, showing progress')
        .option('--timeout <seconds>', 'how long --wait waits', '300'),
    run: async (env, _args, options) => {
      const body = runTaskBody(options);
      checkedBody('POST /tasks', body, options.file ? String(options.file) : 'the flags');
      const stage = env.stage();
      const answer = await stage.call<Json>('POST', '/tasks', { body, headers: idempotencyHeader(options) });
      if (!options.wait) return { body: answer.body, view: views.launchResult };
      const timeoutMs = Number(options.timeout) * 1000;
      const launch = await followLaunch(stage, answer.body, timeoutMs);
      const taskArns = (launch.taskArns as string[] | undefined) ?? [];
      const tasks = taskArns.length ? await waitForTasks(stage, taskArns, timeoutMs) : [];
      return { body: { ...launch, tasks }, view: views.launchResult };
    },
  },
  {
    route: 'GET /launches/{requestId}',
    name: ['launches', 'get'],
    configure: (c) => c.argument('<requestId>', 'the launch request id (tasks run, schedules run)'),
    run: async (env, [requestId = '']) => {
      const { body } = await env.stage().call('GET', routePath('GET /launches/{requestId}', { requestId }));
      return { body, view: views.genericView };
    },
  },
  {
    route: 'GET /schedules',
    name: ['schedules', 'list'],
    configure: (c) => addQueryOptions(c, ROUTES['GET /schedules']),
    run: listRun('GET /schedules', views.scheduleList),
  },
  {
    route: 'GET /schedules/{name}',
    name: ['schedules', 'get'],
    configure: nameArg,
    run: async (env, [name = '']) => {
      const { body } = await env.stage().call('GET', routePath('GET /schedules/{name}', { name }));
      return { body, view: views.yaml };
    },
  },
  {
    route: 'POST /schedules',
    name: ['schedules', 'create'],
    summary: 'Create a schedule from a YAML or JSON file.',
    configure: (c) => c.addOption(fileOption('the schedule')).addOption(dryRunOption()),
    run: async (env, _args, options) => {
      const file = String(options.file);
      const desired = readDocument(file);
      checkedBody('POST /schedules', desired, file);
      const stage = env.stage();
      if (options.dryRun) {
        const stored = await storedSchedule(stage, String(desired.name));
        const note = stored
          ? `schedule ${desired.name} exists: create would be refused (use schedules update)\n`
          : '';
        return {
          body: { dryRun: true, exists: !!stored, diff: scheduleDiff(stored, desired) },
          text: `${note}${scheduleDiff(undefined, desired)}`,
        };
      }
      const { body } = await stage.call('POST', '/schedules', { body: desired });
      return { body, view: (b) => `created schedule ${b.name} (version ${b.version})\n${views.yaml(b)}` };
    },
  },
  {
    route: 'PUT /schedules/{name}',
    name: ['schedules', 'update'],
    summary:
      'Replace a schedule with a YAML or JSON file, showing the difference from what is stored (--dry-run: only show it).',
    configure: (c) => c.addOption(fileOption('the schedule, whole')).addOption(dryRunOption()),
    run: async (env, _args, options) => {
      const file = String(options.file);
      const desired = readDocument(file);
      const name = String(desired.name ?? '');
      const stage = env.stage();
      const stored = await storedSchedule(stage, name);
      if (!stored) {
        throw new RefusedError(
          `schedule ${name} does not exist: create it with \`schedules create -f ${file}\``,
          404,
        );
      }
      // What the PUT will store: the file, on the version it was compared with (a change since is a 409), and
      // without `state` the stored state (a PUT never resumes a PAUSED schedule).
      const body: Json = { ...desired, version: stored.version };
      if (!('state' in desired)) body.state = stored.state;
      checkedBody('PUT /schedules/{name}', body, file);
      const diff = scheduleDiff(stored, body);
      const unchanged = !/^[+-] /m.test(diff);
      if (options.dryRun || unchanged) {
        const text = unchanged ? `schedule ${name}: no changes` : diff;
        return { body: { dryRun: !!options.dryRun, changed: !unchanged, diff }, text };
      }
      const answer = await stage.call<Json>('PUT', routePath('PUT /schedules/{name}', { name }), { body });
      return {
        body: answer.body,
        text: `${diff}\nupdated schedule ${name} (version ${answer.body.version})`,
      };
    },
  },
  {
    route: 'PATCH /schedules/{name}',
    name: ['schedules', 'pause'],
    summary: 'Pause a schedule (state PAUSED): it runs no more until resumed.',
    configure: nameArg,
    run: patchState('PAUSED'),
  },
  {
    route: 'PATCH /schedules/{name}',
    name: ['schedules', 'resume'],
    summary: 'Resume a paused schedule (state ENABLED).',
    configure: nameArg,
    run: patchState('ENABLED'),
  },
  {
    route: 'DELETE /schedules/{name}',
    name: ['schedules', 'delete'],
    configure: nameArg,
    run: async (env, [name = '']) => {
      await env.stage().call('DELETE', routePath('DELETE /schedules/{name}', { name }));
      return { body: { deleted: name }, view: () => `deleted schedule ${name}` };
    },
  },
  {
    route: 'POST /schedules/{name}/runs',
    name: ['schedules', 'run'],
    configure: (c) => nameArg(c).addOption(idempotencyOption()),
    run: async (env, [name = ''], options) => {
      const { body } = await env.stage().call('POST', routePath('POST /schedules/{name}/runs', { name }), {
        headers: idempotencyHeader(options),
      });
      return { body, view: views.launchResult };
    },
  },
  {
    route: 'GET /schedules/{name}/runs',
    name: ['schedules', 'runs'],
    configure: (c) => addQueryOptions(nameArg(c), ROUTES['GET /schedules/{name}/runs']),
    run: listRun('GET /schedules/{name}/runs', views.runList, ['name']),
  },
  {
    route: 'GET /services/{cluster}/{service}',
    name: ['services', 'get'],
    configure: serviceArg,
    run: async (env, [both = '']) => {
      const { body } = await env
        .stage()
        .call('GET', routePath('GET /services/{cluster}/{service}', clusterService(both)));
      return { body, view: views.service };
    },
  },
  {
    route: 'PATCH /services/{cluster}/{service}',
    name: ['services', 'scale'],
    configure: (c) =>
      serviceArg(c).argument('<desiredCount>', "the tasks it keeps running (within the stage's bounds)"),
    run: async (env, [both = '', count = '']) => {
      const desiredCount = Number(count);
      const body = { desiredCount };
      checkedBody('PATCH /services/{cluster}/{service}', body, '<desiredCount>');
      const answer = await env
        .stage()
        .call('PATCH', routePath('PATCH /services/{cluster}/{service}', clusterService(both)), { body });
      return { body: answer.body, view: views.yaml };
    },
  },
  {
    route: 'POST /services/{cluster}/{service}/redeploy',
    name: ['services', 'redeploy'],
    configure: serviceArg,
    run: async (env, [both = '']) => {
      const answer = await env
        .stage()
        .call('POST', routePath('POST /services/{cluster}/{service}/redeploy', clusterService(both)));
      return { body: answer.body, view: views.yaml };
    },
  },
  {
    route: 'GET /clusters/{cluster}',
    name: ['status'],
    summary: "A cluster's state: tasks by capacity and family, services, the last hour, budgets, actions.",
    configure: (c) => c.argument('<cluster>', 'the cluster name'),
    run: async (env, [cluster = '']) => {
      const { body } = await env.stage().call('GET', routePath('GET /clusters/{cluster}', { cluster }));
      return { body, view: views.clusterState };
    },
  },
  {
    route: 'POST /tasks/{taskId}/stop',
    name: ['tasks', 'stop'],
    configure: (c) =>
      c
        .argument('<taskId>', 'the ECS task id')
        .addOption(
          new Option('--reason <reason>', 'why (ECS keeps it as the stopped reason)').makeOptionMandatory(),
        )
        .option('--cluster <cluster>', "the task's cluster (default: from its history)"),
    run: async (env, [taskId = ''], options) => {
      const body: Json = {
        reason: options.reason,
        ...(typeof options.cluster === 'string' && { cluster: options.cluster }),
      };
      checkedBody('POST /tasks/{taskId}/stop', body, '--reason');
      const answer = await env
        .stage()
        .call('POST', routePath('POST /tasks/{taskId}/stop', { taskId }), { body });
      return { body: answer.body, view: views.yaml };
    },
  },
  {
    route: 'GET /restart-breakers/{family}',
    name: ['breakers', 'get'],
    configure: (c) => c.argument('<family>', 'the task definition family'),
    run: async (env, [family = '']) => {
      const { body } = await env.stage().call('GET', routePath('GET /restart-breakers/{family}', { family }));
      return { body, view: views.yaml };
    },
  },
  {
    route: 'DELETE /restart-breakers/{family}',
    name: ['breakers', 'close'],
    configure: (c) => c.argument('<family>', 'the task definition family'),
    run: async (env, [family = '']) => {
      const { body } = await env
        .stage()
        .call('DELETE', routePath('DELETE /restart-breakers/{family}', { family }));
      return { body, view: views.yaml };
    },
  },
  {
    route: 'GET /openapi.json',
    name: ['api', 'openapi'],
    summary: "The stage's OpenAPI 3.1 document (JSON).",
    run: async (env) => {
      const { body } = await env.stage().call('GET', '/openapi.json');
      return { body, view: (b) => JSON.stringify(b, null, 2) };
    },
  },
];

/** A command for a route that has none above, from its declaration alone. */
export function generatedCommand(key: RouteKey, spec: RouteSpec): RouteCommandSpec {
  const [method = ''] = key.split(' ');
  const pathNames = Object.keys(spec.path ?? {});
  const words = kebab(spec.operationId).split('-');
  return {
    route: key,
    name: [spec.tag, words.join('-')],
    configure: (c) => {
      for (const name of pathNames) c.argument(`<${name}>`, spec.path?.[name]?.description ?? name);
      addQueryOptions(c, spec);
      if (spec.body) c.addOption(fileOption(spec.body.description));
      if (spec.idempotencyKey) c.addOption(idempotencyOption());
    },
    run: async (env, args, options) => {
      const path = routePath(
        key,
        Object.fromEntries(pathNames.map((name, i) => [name, args[i] ?? ''])),
        spec,
      );
      let body: Json | undefined;
      if (spec.body) {
        body = readDocument(String(options.file));
        checkedBody(key, body, String(options.file), spec);
      }
      const answer = await env.stage().call(method, path, {
        query: queryOf(spec, options),
        body,
        headers: idempotencyHeader(options),
      });
      return { body: answer.body ?? {}, view: views.genericView };
    },
  };
}

/** Every route's commands: the ones above, and a generated one for each route they leave out. */
export function routeCommands(routes: Record<string, RouteSpec> = ROUTES): RouteCommandSpec[] {
  const covered = new Set(ROUTE_COMMANDS.map((c) => c.route as string));
  return [
    ...ROUTE_COMMANDS.filter((c) => Object.hasOwn(routes, c.route)),
    ...Object.entries(routes)
      .filter(([key]) => !covered.has(key))
      .map(([key, spec]) => generatedCommand(key as RouteKey, spec)),
  ];
}
