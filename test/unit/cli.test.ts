/**
 * The operator's command line without AWS: its commands against the route table (none missing, none
 * extra), argument handling and exit codes, how answers read, and a refusal's message and exit code from a
 * local API.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROUTE_KEYS, ROUTES, type RouteSpec } from '../../src/app/api/routes';
import { diffLines } from '../../src/cli/diff';
import { buildProgram, type CliIo, runCli } from '../../src/cli/program';
import { ROUTE_COMMANDS } from '../../src/cli/routeCommands';
import * as views from '../../src/cli/views';
import * as z from '../../src/zod';

function capture(env: NodeJS.ProcessEnv = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { stdout: (t) => out.push(t), stderr: (t) => err.push(t), env };
  return {
    io,
    stdout: () => out.join(''),
    stderr: () => err.join(''),
    run: (...argv: string[]) => runCli(argv, io),
  };
}

const tmp = mkdtempSync(join(tmpdir(), 'cli-test-'));
function file(name: string, text: string): string {
  const path = join(tmp, name);
  writeFileSync(path, text);
  return path;
}

describe('the commands and the route table', () => {
  it('has a command for every route, and every command calls a route that exists', () => {
    const { routeOf } = buildProgram(capture().io);
    const covered = new Set(routeOf.values());
    expect([...covered].sort()).toEqual([...ROUTE_KEYS].sort());
    for (const route of routeOf.values()) expect(Object.hasOwn(ROUTES, route)).toBe(true);
    // The hand-named commands name only routes of the table.
    for (const c of ROUTE_COMMANDS) expect(ROUTE_KEYS).toContain(c.route);
  });

  it('gives a route added to the table a command of its own, from its declaration alone', async () => {
    const widget: RouteSpec = {
      operationId: 'getWidgetReport',
      summary: 'A widget report.',
      tag: 'tasks',
      path: {
        widgetId: {
          schema: z.string().check(z.regex(/^w-\d+$/, 'must be w-<digits>')),
          description: 'Widget.',
        },
      },
      query: z.strictObject({ depth: z.optional(z.string().check(z.describe('How deep.'))) }),
      responses: { 200: { description: 'The report.' } },
      errors: [400, 404],
    };
    const routes = { ...ROUTES, 'GET /widgets/{widgetId}': widget } as Record<string, RouteSpec>;
    const c = capture();
    const { program, routeOf } = buildProgram(c.io, routes);
    expect(routeOf.get('tasks get-widget-report')).toBe('GET /widgets/{widgetId}');
    const command = program.commands
      .find((g) => g.name() === 'tasks')
      ?.commands.find((s) => s.name() === 'get-widget-report');
    expect(command?.registeredArguments.map((a) => a.name())).toEqual(['widgetId']);
    expect(command?.options.map((o) => o.long)).toEqual(['--depth']);
    // Its path parameter is checked by the route's own schema before anything is sent.
    await expect(
      program.parseAsync(['tasks', 'get-widget-report', 'nope'], { from: 'user' }),
    ).rejects.toThrow('invalid <widgetId>: must be w-<digits>');
  });

  it('takes the query options of a list from its route (names, required, choices)', () => {
    const { program } = buildProgram(capture().io);
    const list = program.commands
      .find((g) => g.name() === 'tasks')
      ?.commands.find((s) => s.name() === 'list');
    const cluster = list?.options.find((o) => o.long === '--cluster');
    expect(cluster?.mandatory).toBe(true);
    expect(list?.options.find((o) => o.long === '--classification')?.argChoices).toContain('failed');
    expect(list?.options.map((o) => o.long)).toEqual(
      expect.arrayContaining(['--since', '--limit', '--next-token']),
    );
  });
});

describe('argument handling', () => {
  it('exits 2 for usage errors, naming the problem, before calling anything', async () => {
    const c = capture();
    expect(await c.run('tasks', 'list')).toBe(2);
    expect(c.stderr()).toContain("required option '--cluster <cluster>' not specified");
    expect(await c.run('tasks', 'get', 'not a task!')).toBe(2);
    expect(c.stderr()).toContain('invalid <taskId>: must be an ECS task id');
    expect(await c.run('services', 'get', 'only-a-cluster')).toBe(2);
    expect(c.stderr()).toContain('<cluster/service> must be two names joined by "/"');
    expect(await c.run('--output', 'yaml', 'schedules', 'list')).toBe(2);
    expect(c.stderr()).toContain('Allowed choices are table, json');
    expect(await c.run('schedule', 'list')).toBe(2);
    expect(c.stderr()).toContain('(Did you mean schedules?)');
  });

  it('checks a schedule file against the API schema first (exit 2 with the rule), YAML or JSON', async () => {
    const c = capture();
    const bad = file(
      'bad.yaml',
      'name: nightly\nexpression: rate(1 hour)\ncluster: sandbox\ntaskDefinition: w\nbogus: 1\n',
    );
    expect(await c.run('schedules', 'create', '-f', bad)).toBe(2);
    expect(c.stderr()).toContain('invalid body: bogus: is not a known field');
    const notYaml = file('broken.yaml', 'name: [unclosed\n');
    expect(await c.run('schedules', 'create', '-f', notYaml)).toBe(2);
    expect(c.stderr()).toContain('is neither JSON nor YAML');
    expect(await c.run('schedules', 'create', '-f', join(tmp, 'missing.yaml'))).toBe(2);
    expect(c.stderr()).toContain('cannot read');
    const count = file('count.json', '{"cluster":"sandbox","taskDefinition":"w","count":11}');
    expect(await c.run('tasks', 'run', '-f', count)).toBe(2);
    expect(c.stderr()).toContain('count: must be an integer from 1 to 10');
  });

  it('shows help and the version with exit 0', async () => {
    const c = capture();
    expect(await c.run('--help')).toBe(0);
    expect(c.stdout()).toContain('doctor');
    expect(await c.run('schedules', 'update', '--help')).toBe(0);
    expect(c.stdout()).toContain('--dry-run');
    expect(c.stdout()).toContain('API route: PUT /schedules/{name}');
    expect(await c.run('completion')).toBe(0);
    expect(c.stdout()).toContain('complete -F _ecs_autopilot ecs-autopilot');
  });
});

describe('a refused request', () => {
  let server: Server;
  let url: string;
  const seen: IncomingMessage[] = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      seen.push(req);
      res.writeHead(403, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({ error: 'Forbidden', message: 'cluster other is not on this stage allowlist' }),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  it("exits 1 with the API's message, having signed the request with the SDK's credentials", async () => {
    const c = capture({
      AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'secret',
      AWS_REGION: 'eu-west-1',
    });
    // The default provider chain reads the process environment.
    const saved = { ...process.env };
    Object.assign(process.env, c.io.env);
    try {
      expect(
        await c.run('--api-url', url, 'tasks', 'run', '--cluster', 'other', '--task-definition', 'w'),
      ).toBe(1);
    } finally {
      process.env = saved;
    }
    expect(c.stderr()).toBe(
      'error: POST /tasks: 403 Forbidden: cluster other is not on this stage allowlist\n',
    );
    expect(seen[0]?.headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/execute-api\/aws4_request, SignedHeaders=[^,]*host[^,]*, Signature=[0-9a-f]{64}$/,
    );
  });
});

describe('how answers read', () => {
  const history = {
    task: {
      taskArn: 'arn:aws:ecs:us-east-1:111122223333:task/batch/0f3c',
      taskId: '0f3c',
      cluster: 'batch',
      taskDefinition: 'worker:7',
      lastStatus: 'STOPPED',
      desiredStatus: 'STOPPED',
      classification: 'failed',
      failure: { kind: 'exit-code', container: 'worker', exitCode: 1 },
      stoppedReason: 'Essential container in task exited',
    },
    transitions: [
      { eventTime: '2024-05-14T09:10:00Z', lastStatus: 'PROVISIONING', desiredStatus: 'RUNNING' },
      { eventTime: '2024-05-14T09:10:24Z', lastStatus: 'RUNNING', desiredStatus: 'RUNNING' },
      {
        eventTime: '2024-05-14T09:12:47Z',
        lastStatus: 'STOPPED',
        desiredStatus: 'STOPPED',
        stopCode: 'EssentialContainerExited',
        containers: [{ name: 'worker', exitCode: 1 }],
      },
    ],
    decision: {
      action: 'restart',
      delaySeconds: 10,
      replacementTaskArns: ['arn:aws:ecs:us-east-1:111122223333:task/batch/9a9a'],
    },
    attempts: [
      {
        taskArn: 'arn:aws:ecs:us-east-1:111122223333:task/batch/0f3c',
        attempt: 0,
        exitCode: 1,
        decision: 'restart',
      },
      { taskArn: 'arn:aws:ecs:us-east-1:111122223333:task/batch/9a9a', attempt: 1 },
    ],
  };

  it('shows a task as a timeline, with its classification, restart decision, chain and replacement', () => {
    const text = views.taskHistory(history);
    expect(text).toContain('Classification  failed (kind exit-code, container worker, exitCode 1)');
    expect(text).toMatch(/2024-05-14 09:10:24 +RUNNING +RUNNING/);
    expect(text).toMatch(/2024-05-14 09:12:47 +STOPPED +STOPPED +EssentialContainerExited · worker=1/);
    expect(text).toContain('Restart decision: restart after 10 s');
    expect(text).toMatch(/TASK ARN +ATTEMPT +EXIT CODE +DECISION\n0f3c +0 +1 +restart\n9a9a +1/);
    expect(text).toContain('Replacement: 9a9a');
  });

  it('lists tasks and schedules as tables, with the next page named', () => {
    const tasks = views.taskList({ tasks: [history.task], nextToken: 'abc' });
    expect(tasks.split('\n')[0]).toMatch(/^TASK +STATUS +CLASSIFICATION +TASK DEFINITION/);
    expect(tasks).toMatch(/0f3c +STOPPED +failed +worker:7/);
    expect(tasks).toContain('more: add --next-token abc');
    expect(views.scheduleList({ schedules: [] })).toBe('(no schedules)');
  });

  it('diffs a stored schedule and a file line by line, removals before additions', () => {
    expect(diffLines('a: 1\nb: 2\nc: 3', 'a: 1\nb: 5\nc: 3')).toBe('  a: 1\n- b: 2\n+ b: 5\n  c: 3');
    expect(diffLines('', 'a: 1')).toBe('+ a: 1');
  });
});
