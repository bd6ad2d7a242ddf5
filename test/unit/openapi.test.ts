import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadTemplate, resourcesOfType } from '../../local/template';
import { buildScheduleRoutes, type ScheduleApiDeps } from '../../src/app/api/scheduleRoutes';
import { buildApi } from '../../src/app/api/taskRoutes';
import { toTransition } from '../../src/domain/lifecycle';
import { parseTaskStateChange } from '../../src/domain/taskEvent';
import { buildOpenApiDocument, taskTransitionSchema } from '../../src/openapi';
import { FIXTURE_NAMES, fixture } from '../support/fixtures';
import { documentedRoutes, expectDocumented } from '../support/openApiContract';
import { unusedBreakers, unusedClusterRoutes } from '../support/unusedDeps';

interface Operation {
  operationId: string;
  security?: unknown;
  parameters?: Array<{ name: string; in: string; required?: boolean }>;
  requestBody?: { content: Record<string, { schema: { $ref: string } }> };
  responses: Record<string, unknown>;
}
type PathItem = Record<string, Operation> & { parameters?: Array<{ name: string; in: string }> };
interface Document {
  openapi: string;
  security: unknown;
  paths: Record<string, PathItem>;
  components: {
    schemas: Record<string, Record<string, unknown>>;
    responses: Record<string, { content: Record<string, { schema: unknown }> }>;
    securitySchemes: Record<string, Record<string, unknown>>;
  };
}

const doc = buildOpenApiDocument() as Document;
const committedPath = join(__dirname, '..', '..', 'docs', 'openapi.json');

/** The route keys the API function serves (with every route wired, as functions/api/handler.ts wires them). */
const SERVED = buildApi({
  getTaskHistory: async () => undefined,
  listTasks: async () => ({ tasks: [] }),
  getServiceState: async () => undefined,
  breakers: unusedBreakers,
  routes: { ...buildScheduleRoutes({} as ScheduleApiDeps), ...unusedClusterRoutes },
}).routeKeys;
const ROUTES = documentedRoutes();

function operation(route: string): Operation | undefined {
  const [method = '', path = ''] = route.split(' ');
  return doc.paths[path]?.[method.toLowerCase()] as Operation | undefined;
}

describe('OpenAPI document', () => {
  it('is what docs/openapi.json holds', () => {
    const generated = `${JSON.stringify(doc, null, 2)}\n`;
    let committed = '';
    try {
      committed = readFileSync(committedPath, 'utf8');
    } catch {
      // missing: reported below
    }
    if (committed !== generated) {
      let at = 0;
      while (at < generated.length && committed[at] === generated[at]) at++;
      throw new Error(
        `docs/openapi.json is out of date (first difference at character ${at}): run \`npx tsx scripts/openapi.ts\` and commit docs/openapi.json`,
      );
    }
  });

  it('describes exactly the routes the function serves and serverless.yml gives it', () => {
    const template = loadTemplate();
    const deployed = resourcesOfType(template, 'AWS::ApiGatewayV2::Route').map(
      ([, route]) => route.Properties?.RouteKey as string,
    );
    expect([...ROUTES].sort()).toEqual([...SERVED].sort());
    expect([...deployed].sort()).toEqual([...SERVED].sort());
  });

  it('fails a response it does not describe: an unknown field, a missing one, an undocumented status', () => {
    const schedule = {
      name: 'nightly',
      expression: 'rate(1 hour)',
      timezone: 'UTC',
      cluster: 'batch',
      taskDefinition: 'worker',
      state: 'ENABLED',
      count: 1,
      concurrencyPolicy: 'Allow',
      version: 1,
      createdAt: '2025-03-01T10:00:00.000Z',
      updatedAt: '2025-03-01T10:00:00.000Z',
    };
    const answer = (statusCode: number, body: unknown) => ({ statusCode, body: JSON.stringify(body) });
    expect(() => expectDocumented('GET /schedules/{name}', answer(200, schedule))).not.toThrow();
    expect(() =>
      expectDocumented('GET /schedules/{name}', answer(200, { ...schedule, colour: 'blue' })),
    ).toThrow(/must NOT have additional properties/);
    const { version: _v, ...unversioned } = schedule;
    expect(() => expectDocumented('GET /schedules/{name}', answer(200, unversioned))).toThrow(/version/);
    expect(() => expectDocumented('GET /schedules/{name}', answer(418, {}))).toThrow(/no 418 response/);
    expect(() => expectDocumented('GET /nowhere', answer(200, {}))).toThrow(/no route/);
  });

  it('is OpenAPI 3.1 with every route', () => {
    expect(doc.openapi).toBe('3.1.0');
    const listed = Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.keys(item)
        .filter((key) => key !== 'parameters')
        .map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(listed.sort()).toEqual([...ROUTES].sort());
    const ids = ROUTES.map((route) => operation(route)?.operationId);
    expect(new Set(ids).size).toBe(ROUTES.length);
  });

  it('requires SigV4 (AWS_IAM) everywhere', () => {
    expect(doc.components.securitySchemes.sigv4).toEqual(
      expect.objectContaining({
        type: 'apiKey',
        name: 'Authorization',
        in: 'header',
        'x-amazon-apigateway-authtype': 'awsSigv4',
      }),
    );
    expect(doc.security).toEqual([{ sigv4: [] }]);
    for (const route of ROUTES) expect(operation(route)?.security).toBeUndefined();
  });

  it('takes the bodies from the zod schemas', () => {
    const bodyOf = (route: string) => operation(route)?.requestBody?.content['application/json']?.schema.$ref;
    expect(bodyOf('POST /schedules')).toBe('#/components/schemas/ScheduleInput');
    expect(bodyOf('PUT /schedules/{name}')).toBe('#/components/schemas/ReplaceScheduleInput');
    expect(bodyOf('PATCH /schedules/{name}')).toBe('#/components/schemas/SchedulePatch');
    expect(bodyOf('POST /tasks')).toBe('#/components/schemas/RunTaskBody');
    const input = doc.components.schemas.ScheduleInput;
    expect(input).toMatchObject({
      type: 'object',
      additionalProperties: false,
      required: ['name', 'expression', 'cluster', 'taskDefinition'],
    });
    expect(input?.properties).toMatchObject({
      name: { type: 'string', minLength: 1, maxLength: 64, pattern: '^[0-9A-Za-z_.-]+$' },
      count: { type: 'integer', minimum: 1, maximum: 10, default: 1 },
      timezone: { type: 'string', default: 'UTC' },
      startDate: { type: 'string', format: 'date-time' },
    });
    expect(doc.components.schemas.SchedulePatch).toMatchObject({
      minProperties: 1,
      additionalProperties: false,
    });
    expect(doc.components.schemas.SchedulePatch?.properties).not.toHaveProperty('name');
    expect(doc.components.schemas.RunTaskBody?.properties).toHaveProperty('group');
    expect(doc.components.schemas.RunTaskBody?.properties).not.toHaveProperty('startedBy');
  });

  it('documents the query and path parameters', () => {
    const names = (route: string) =>
      (operation(route)?.parameters ?? []).map((p) => `${p.in}:${p.name}${p.required ? '!' : ''}`);
    expect(names('GET /schedules')).toEqual(['query:limit', 'query:nextToken']);
    expect(names('GET /tasks')).toEqual([
      'query:cluster!',
      'query:classification',
      'query:since',
      'query:limit',
      'query:nextToken',
    ]);
    expect(doc.paths['/schedules/{name}']?.parameters?.map((p) => `${p.in}:${p.name}`)).toEqual([
      'path:name',
    ]);
    expect(doc.paths['/tasks/{taskId}']?.parameters?.map((p) => `${p.in}:${p.name}`)).toEqual([
      'path:taskId',
    ]);
  });

  it('answers errors as {error, message}', () => {
    const codes = new Set(
      ROUTES.flatMap((route) =>
        Object.keys(operation(route)?.responses ?? {}).filter((code) => code >= '400'),
      ),
    );
    expect([...codes].sort()).toEqual(['400', '403', '404', '409', '413', '500']);
    expect(doc.components.schemas.Error).toMatchObject({
      type: 'object',
      properties: { error: { type: 'string' }, message: { type: 'string' } },
      required: ['error', 'message'],
    });
    for (const response of Object.values(doc.components.responses)) {
      expect(response.content['application/json']?.schema).toEqual({ $ref: '#/components/schemas/Error' });
    }
  });

  // The schema is strict: a field the history stores but the document does not describe fails here.
  it.each(FIXTURE_NAMES)('describes every field of the %s transition as the API answers it', (name) => {
    const answered = JSON.parse(JSON.stringify(toTransition(parseTaskStateChange(fixture(name)))));
    const result = taskTransitionSchema.safeParse(answered);
    expect(result.error?.issues ?? []).toEqual([]);
  });

  it('answers transitions and summaries with the TaskTransition schema', () => {
    const schemas = doc.components.schemas;
    const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
    expect(schemas.TaskHistory?.properties).toMatchObject({
      task: { anyOf: [ref('TaskSummary'), { type: 'null' }] },
      transitions: { type: 'array', items: ref('TaskTransition') },
    });
    expect(schemas.TaskSummary).toMatchObject({ allOf: [ref('TaskTransition')] });
    expect(schemas.TaskList?.properties).toMatchObject({ tasks: { items: ref('TaskSummary') } });
    const transition = schemas.TaskTransition as {
      additionalProperties: boolean;
      properties: Record<string, { properties?: Record<string, { description?: string }> }>;
    };
    expect(transition.additionalProperties).toBe(false);
    expect(transition.properties).toHaveProperty('containerInstanceArn');
    expect(transition.properties).toHaveProperty('capacityProviderName');
    expect(transition.properties).not.toHaveProperty('capacityProvider');
    const durations = transition.properties.durations?.properties ?? {};
    for (const name of ['provisioningMs', 'pullMs', 'stoppingMs']) {
      expect([name, durations[name]?.description]).toEqual([name, expect.any(String)]);
    }
  });

  it('has no dangling $ref', () => {
    const refs: string[] = [];
    const walk = (value: unknown): void => {
      if (Array.isArray(value)) value.forEach(walk);
      else if (value && typeof value === 'object') {
        for (const [key, child] of Object.entries(value)) {
          if (key === '$ref' && typeof child === 'string') refs.push(child);
          else walk(child);
        }
      }
    };
    walk(doc);
    expect(refs.length).toBeGreaterThan(0);
    for (const ref of refs) {
      const target = ref
        .replace(/^#\//, '')
        .split('/')
        .reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], doc);
      expect([ref, target !== undefined]).toEqual([ref, true]);
    }
  });
});
