/**
 * A Lambda host for the sandbox benchmarks: a child process (or a few) that loads the functions' deployment
 * bundles (esbuild with serverless.yml's custom.esbuild, as `sls deploy` ships them) and runs invocations sent
 * by the sandbox over HTTP. serverless-offline starts a worker thread per concurrent invocation, which on a
 * 2-core machine measures serverless-offline, not the product; here the emulators and dynalite run in the
 * parent process and the handlers in the host, so they share both cores.
 *
 * Every handler runs in each host process, so their environments are merged (their keys do not clash), and
 * invocations run concurrently on one event loop each, where Lambda would give each its own instance.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { spawn } from 'node:child_process';
import { subscribe } from 'node:diagnostics_channel';
import { mkdirSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { type ClientRequest, createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { build } from 'esbuild';
import type { InvokeResult, LambdaInvoker } from '../../local/core';
import { readBody } from '../../local/server';
import { PROJECT_ROOT, readServerlessConfig } from './serverlessConfig';

/**
 * Host processes, each with every function loaded; an invocation goes to the least busy one. One by default:
 * on 2 cores shared with the sandbox and dynalite, two processes measured slower (1,000-failure wave 87.5 s
 * against 77.7 s with one). BENCH_HOST_PROCESSES sets another number, for a machine with more cores.
 */
const HOST_PROCESSES = Number(process.env.BENCH_HOST_PROCESSES ?? 1);

type Handler = (event: unknown, context: unknown) => Promise<unknown>;

interface HostSpec {
  /** deployed function name -> bundle file */
  bundles: Record<string, string>;
  env: Record<string, string>;
}

/** DynamoDB calls by function and operation, e.g. `{"ecs-autopilot-sandbox-launcher": {"PutItem": 3}}`. */
export type DynamoDbCalls = Record<string, Record<string, number>>;

/**
 * Counts the DynamoDB requests each function sends (every HTTP attempt, so SDK retries count too), from the
 * request's X-Amz-Target header as Node's http client starts it. The sandbox counts the ECS, EventBridge
 * and SQS calls it serves; DynamoDB is dynalite, in its own process, so the count is taken here, where the
 * function is known: the invocation runs inside `invocation.run(name)`.
 */
function countDynamoDbCalls(invocation: AsyncLocalStorage<string>) {
  let calls: DynamoDbCalls = {};
  subscribe('http.client.request.start', (message) => {
    const target = (message as { request: ClientRequest }).request.getHeader('x-amz-target');
    if (typeof target !== 'string' || !target.startsWith('DynamoDB_')) return;
    const fn = invocation.getStore() ?? 'outside an invocation';
    const operation = target.slice(target.indexOf('.') + 1);
    const byOperation = calls[fn] ?? {};
    byOperation[operation] = (byOperation[operation] ?? 0) + 1;
    calls[fn] = byOperation;
  });
  return {
    snapshot: () => calls,
    reset: () => {
      calls = {};
    },
  };
}

/** The child: `node bench/lib/lambdaHost.js` is not used; the parent runs this file with tsx and `--host`. */
async function serve(spec: HostSpec): Promise<void> {
  Object.assign(process.env, spec.env);
  const invocation = new AsyncLocalStorage<string>();
  const dynamoDbCalls = countDynamoDbCalls(invocation);
  const handlers = new Map<string, Handler>();
  for (const [name, file] of Object.entries(spec.bundles)) {
    handlers.set(name, (require(file) as { handler: Handler }).handler);
  }
  let requests = 0;
  const server = createServer((req, res) => {
    if (req.url === '/_dynamodb-calls') {
      // GET: the counts since the last reset; POST: reset them.
      if (req.method === 'POST') dynamoDbCalls.reset();
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(dynamoDbCalls.snapshot()));
      return;
    }
    const name = decodeURIComponent((req.url ?? '').slice(1));
    void readBody(req).then(async (text) => {
      const handler = handlers.get(name);
      let result: InvokeResult;
      if (!handler) result = { ok: false, error: `no function ${name}` };
      else {
        const requestId = `host-${++requests}`;
        const context = {
          functionName: name,
          functionVersion: '$LATEST',
          invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${name}`,
          memoryLimitInMB: '512',
          awsRequestId: requestId,
          logGroupName: `/aws/lambda/${name}`,
          logStreamName: 'bench',
          callbackWaitsForEmptyEventLoop: false,
          getRemainingTimeInMillis: () => 30_000,
        };
        try {
          const event = JSON.parse(text || '{}');
          const payload = await invocation.run(name, () => handler(event, context));
          result = { ok: true, payload };
        } catch (error) {
          result = { ok: false, error: `${(error as Error).name}: ${(error as Error).message}` };
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(result));
    });
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => {
    const address = server.address();
    process.send?.({ port: typeof address === 'object' && address ? address.port : 0 });
  });
}

if (process.argv.includes('--host')) {
  // Exit normally on SIGINT, so a --cpu-prof profile gets written.
  process.on('SIGINT', () => process.exit(0));
  process.once('message', (spec: HostSpec) => {
    serve(spec).catch((error) => {
      console.error(error);
      process.exit(1);
    });
  });
}

export interface LambdaHost extends LambdaInvoker {
  /** Bundles the functions and starts the child with their environments plus `clientEnv`. */
  start(functions: Record<string, string>, env: Record<string, string>): Promise<void>;
  stop(): void;
  /** The host processes' ids (for CPU accounting). */
  pids(): number[];
  /** The DynamoDB calls the functions sent since the last reset (`reset`: start counting again). */
  dynamoDbCalls(options?: { reset?: boolean }): Promise<DynamoDbCalls>;
}

/**
 * The invoker half, for startSandbox({ invoker }). The sandbox is started first (it knows the endpoint and
 * the functions' environments), then `start` bundles and launches the host; nothing is invoked before.
 * `overrides` replaces a function's code (deployed name -> a TypeScript file exporting `handler`).
 */
export function lambdaHost(overrides: Record<string, string> = {}): LambdaHost {
  let hosts: { child: ReturnType<typeof spawn>; port: number; inFlight: number }[] = [];
  let work: string | undefined;
  return {
    async start(functions, env) {
      const config = readServerlessConfig();
      const profile = process.env.BENCH_HOST_PROFILE; // a directory: write a CPU profile of the host there
      // Profiled, the bundles and their source maps stay next to the profile, to map its minified frames.
      if (profile) mkdirSync(profile, { recursive: true });
      work = profile ?? mkdtempSync(join(tmpdir(), 'ecs-autopilot-host-'));
      const bundles: Record<string, string> = {};
      for (const [deployedName, source] of Object.entries({ ...functions, ...overrides })) {
        const outfile = join(work, `${deployedName}.js`);
        await build({
          ...config.esbuild,
          entryPoints: [join(PROJECT_ROOT, source)],
          outfile,
          absWorkingDir: PROJECT_ROOT,
          logLevel: 'silent',
        });
        bundles[deployedName] = outfile;
      }
      const execArgs = profile ? ['--cpu-prof', `--cpu-prof-dir=${profile}`] : [];
      const spec: HostSpec = { bundles, env };
      // The functions' log lines go nowhere unless BENCH_HOST_LOG names a file for them; their warnings and
      // errors (stderr) too, so a wave does not print a thousand throttling warnings. Anything else on stderr
      // (a host that fails to start, a Node warning) still reaches the terminal.
      const log = process.env.BENCH_HOST_LOG ? openSync(process.env.BENCH_HOST_LOG, 'w') : 'ignore';
      const forwardStderr = (child: ReturnType<typeof spawn>) => {
        if (!child.stderr) return;
        createInterface({ input: child.stderr, crlfDelay: Number.POSITIVE_INFINITY }).on('line', (line) => {
          const isLogLine = line.startsWith('{"level":');
          if (!isLogLine) process.stderr.write(`${line}\n`);
          else if (typeof log === 'number') writeSync(log, `${line}\n`);
        });
      };
      hosts = await Promise.all(
        Array.from({ length: HOST_PROCESSES }, async () => {
          const child = spawn(process.execPath, [...execArgs, '--import', 'tsx', __filename, '--host'], {
            cwd: PROJECT_ROOT,
            stdio: ['ignore', log, 'pipe', 'ipc'],
            env: { ...process.env, ...env },
          });
          forwardStderr(child);
          const port = await new Promise<number>((resolve, reject) => {
            child.once('message', (m: { port: number }) => resolve(m.port));
            child.once('exit', (code) => reject(new Error(`the Lambda host exited (${code})`)));
            child.send(spec);
          });
          return { child, port, inFlight: 0 };
        }),
      );
    },
    async invoke(functionName, payload) {
      // The least busy process, as Lambda gives an invocation an idle instance.
      const host = hosts.reduce((a, b) => (b.inFlight < a.inFlight ? b : a));
      host.inFlight++;
      try {
        const response = await fetch(`http://127.0.0.1:${host.port}/${encodeURIComponent(functionName)}`, {
          method: 'POST',
          body: JSON.stringify(payload),
        });
        return (await response.json()) as InvokeResult;
      } catch (error) {
        return { ok: false, error: `invoke ${functionName} failed: ${(error as Error).message}` };
      } finally {
        host.inFlight--;
      }
    },
    pids: () => hosts.flatMap((h) => (h.child.pid ? [h.child.pid] : [])),
    async dynamoDbCalls(options = {}) {
      const total: DynamoDbCalls = {};
      for (const host of hosts) {
        const response = await fetch(`http://127.0.0.1:${host.port}/_dynamodb-calls`, {
          method: options.reset ? 'POST' : 'GET',
        });
        for (const [fn, byOperation] of Object.entries((await response.json()) as DynamoDbCalls)) {
          const sum = total[fn] ?? {};
          total[fn] = sum;
          for (const [operation, n] of Object.entries(byOperation))
            sum[operation] = (sum[operation] ?? 0) + n;
        }
      }
      return total;
    },
    stop() {
      // SIGINT lets a profiling host write its profile; the host has no other cleanup to do.
      for (const host of hosts) host.child.kill('SIGINT');
      if (work && work !== process.env.BENCH_HOST_PROFILE) rmSync(work, { recursive: true, force: true });
    },
  };
}
