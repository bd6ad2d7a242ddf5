/**
 * The HTTP API under load (issue 7, point 4): autocannon against the sandbox's HTTP API (serverless-offline
 * running the bundled `api` function, DynamoDB in dynalite), with 1,000 schedules created through
 * POST /schedules. Reported: p50, p99 and requests per second for
 *   - GET /schedules (the first page, 25 schedules, of 1,000),
 *   - GET /schedules?limit=100 (the largest page),
 *   - GET /tasks/{taskId} (a task with its lifecycle history),
 * against a floor measured the same way in the same run: GET /tasks/not_a_task_id, the same route through
 * serverless-offline and the same function, answered 400 by validation before any AWS call.
 */
import { ECSClient, RunTaskCommand } from '@aws-sdk/client-ecs';
import autocannon from 'autocannon';
import { startSandbox } from '../../local/sandbox';
import { type Figure, type SectionResult, vsFloor } from '../lib/report';

export const description =
  'HTTP API with autocannon: GET /schedules (1,000 schedules) and GET /tasks/{taskId}, p50/p99/rps vs a request rejected before any AWS call';

const SCHEDULES = Number(process.env.BENCH_API_SCHEDULES ?? 1000);
const DURATION_S = Number(process.env.BENCH_API_SECONDS ?? 10);
const CONNECTIONS = 8;
const NETWORK = { awsvpcConfiguration: { subnets: ['subnet-0123456789abcdef0'] } };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const FLOOR_PATH = '/tasks/not_a_task_id';

interface Load {
  p50: number;
  p99: number;
  rps: number;
  requests: number;
  non2xx: number;
  errors: number;
}

/** Load on one URL, after a 2 s warm-up on it (serverless-offline starts its workers; caches fill). */
async function load(url: string, seconds: number): Promise<Load> {
  await autocannon({ url, connections: CONNECTIONS, duration: 2 });
  const result = await autocannon({ url, connections: CONNECTIONS, duration: seconds });
  return {
    p50: result.latency.p50,
    p99: result.latency.p99,
    rps: result.requests.average,
    requests: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors,
  };
}

/** Creates `n` schedules through the API, `parallel` at a time. */
async function createSchedules(api: string, n: number, parallel: number): Promise<number> {
  let next = 0;
  const started = Date.now();
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < n) {
        const i = next++;
        const response = await fetch(`${api}/schedules`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            name: `bench-${String(i).padStart(4, '0')}`,
            expression: `cron(${i % 60} ${i % 24} * * ? *)`,
            timezone: 'Europe/Paris',
            cluster: 'sandbox',
            taskDefinition: 'sandbox-worker',
            launchType: 'FARGATE',
            networkConfiguration: NETWORK,
            concurrencyPolicy: 'Forbid',
          }),
        });
        if (response.status !== 201)
          throw new Error(`POST /schedules answered ${response.status}: ${await response.text()}`);
      }
    }),
  );
  return Date.now() - started;
}

export async function run(): Promise<SectionResult> {
  // The stage keeps 200 schedules by default (maxSchedules); the benchmark pages through more.
  // The function behind the API is measured, not the sandbox's SigV4 check (API Gateway's, in AWS).
  const sandbox = await startSandbox({ params: { maxSchedules: String(SCHEDULES) }, apiAuth: false });
  const api = sandbox.apiUrl as string;
  const ecs = new ECSClient({
    region: 'us-east-1',
    endpoint: sandbox.endpoint,
    credentials: { accessKeyId: 'sandbox', secretAccessKey: 'sandbox' },
  });
  try {
    const createMs = await createSchedules(api, SCHEDULES, 4);
    const out = await ecs.send(
      new RunTaskCommand({
        cluster: 'sandbox',
        taskDefinition: 'sandbox-worker',
        launchType: 'FARGATE',
        networkConfiguration: NETWORK,
      }),
    );
    const taskId = out.tasks?.[0]?.taskArn?.split('/').pop();
    if (!taskId) throw new Error('RunTask started no task');
    for (let i = 0; ; i++) {
      const r = await fetch(`${api}/tasks/${taskId}`);
      const body = r.ok ? ((await r.json()) as { transitions?: unknown[] }) : undefined;
      if ((body?.transitions?.length ?? 0) >= 3) break; // PROVISIONING, PENDING, RUNNING recorded
      if (i > 200) throw new Error(`GET /tasks/${taskId} has no history after 20 s`);
      await sleep(100);
    }
    const first = (await (await fetch(`${api}/schedules`)).json()) as { schedules: unknown[] };

    const floorStatus = (await fetch(`${api}${FLOOR_PATH}`)).status;
    if (floorStatus !== 400) throw new Error(`GET ${FLOOR_PATH} answered ${floorStatus}, not 400`);
    const floor = await load(`${api}${FLOOR_PATH}`, DURATION_S);
    const page = await load(`${api}/schedules`, DURATION_S);
    const bigPage = await load(`${api}/schedules?limit=100`, DURATION_S);
    const task = await load(`${api}/tasks/${taskId}`, DURATION_S);

    const figures: Figure[] = [];
    for (const [name, m] of [
      ['GET /schedules', page],
      ['GET /schedules?limit=100', bigPage],
      ['GET /tasks/{taskId}', task],
    ] as const) {
      figures.push(
        vsFloor(`${name} p50`, 'ms', m.p50, floor.p50, null),
        vsFloor(`${name} p99`, 'ms', m.p99, floor.p99, null),
        vsFloor(`${name} requests/s`, 'count', m.rps, floor.rps, null, {
          requests: m.requests,
          non2xx: m.non2xx,
          errors: m.errors,
        }),
      );
    }
    // The floor answers 400 by design; only the measured routes must answer 2xx.
    const bad = [page, bigPage, task].reduce((sum, m) => sum + m.non2xx + m.errors, 0);
    if (bad > 0) throw new Error(`${bad} requests to the measured routes failed or answered non-2xx`);
    return {
      figures,
      details: {
        schedules: SCHEDULES,
        createSchedulesMs: createMs,
        firstPageSize: first.schedules.length,
        connections: CONNECTIONS,
        seconds: DURATION_S,
        floor,
        page,
        bigPage,
        task,
      },
      notes: [
        `autocannon, ${CONNECTIONS} connections, ${DURATION_S} s per route after a 2 s warm-up on it; floor = GET ${FLOOR_PATH} (same function, 400 before any AWS call): p50 ${floor.p50} ms, p99 ${floor.p99} ms, ${floor.rps.toFixed(0)} req/s`,
        `${SCHEDULES} schedules created through POST /schedules in ${(createMs / 1000).toFixed(1)} s (4 at a time); every measured request answered 2xx`,
        'serverless-offline runs each concurrent invocation in a worker thread on this 2-core machine: the absolute numbers are the sandbox, the ratios are the function',
      ],
    };
  } finally {
    ecs.destroy();
    await sandbox.stop();
  }
}
