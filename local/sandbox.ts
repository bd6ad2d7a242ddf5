/**
 * The whole backend on one machine: emulated AWS on one port (server.ts), the real Lambda handlers and
 * HTTP API through serverless-offline, wired together the way the deployed stack is (from serverless.yml).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readdir, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { createApiAuthProxy } from './apiAuth';
import { CloudFormationEmulator, stackOutputs } from './cloudformation';
import { ControlInputError, clockAdvance, exitCode, onOff, rate, requiredText } from './controlInput';
import { ACCOUNT_ID, type BusEvent, type LambdaInvoker, REGION, VirtualClock } from './core';
import { createTablesFromTemplate, startDynalite } from './dynamo';
import { EcsEmulator, type EcsTimings } from './ecs';
import { EventBridgeEmulator } from './eventbridge';
import { LambdaApiEmulator } from './lambdaApi';
import { AsyncLambda } from './lambdaAsync';
import { OfflineLambdaInvoker } from './lambdaInvoker';
import { SchedulerEmulator } from './scheduler';
import { CallCounter, createEdgeServer, listen } from './server';
import { SnsEmulator } from './sns';
import { SqsEmulator } from './sqs';
import { printConfigCached, type SandboxStack, SERVICE, stackFromConfig } from './stack';
import { ROOT } from './template';

export interface SandboxOptions {
  /** AWS endpoint port (0 = any free port). */
  port?: number;
  /** HTTP API port of serverless-offline. */
  httpPort?: number;
  /** serverless-offline's Lambda invoke port. */
  lambdaPort?: number;
  stage?: string;
  /** Stage parameters over serverless.yml's, as `--param` gives them (e.g. a benchmark's maxSchedules). */
  params?: Record<string, string>;
  timings?: Partial<EcsTimings>;
  throttling?: boolean;
  /** Forward serverless-offline's output (function logs) to this process' stdout. */
  verbose?: boolean;
  /** Run without serverless-offline, with this invoker (tests of the emulators' wiring, the benchmarks). */
  invoker?: LambdaInvoker;
  /** Concurrent async invocations per function (default SANDBOX_LAMBDA_CONCURRENCY, else 3). */
  lambdaConcurrency?: number;
  /** Delays before an async invocation's retries (virtual ms; default 1 s, 2 s; Lambda waits about 1 and 2 min). */
  lambdaRetryDelaysMs?: number[];
  /** Told each step of the start as it completes (npm start prints them). */
  onProgress?: (message: string) => void;
  /**
   * The HTTP API checks SigV4 signatures of the sandbox credentials, as AWS_IAM does (default: on, unless
   * SANDBOX_API_AUTH=off); off, it serves unsigned requests as `--noAuth` does.
   */
  apiAuth?: boolean;
}

/** Which option asked for a port: npm start names the variable behind it. */
export type PortOption = 'port' | 'httpPort' | 'lambdaPort';
const PORT_ROLES: Record<PortOption, string> = {
  port: 'AWS endpoint',
  httpPort: 'HTTP API',
  lambdaPort: 'Lambda invoke endpoint',
};

/** A requested port is taken (another sandbox, or another program): found before anything is spawned. */
export class PortInUseError extends Error {
  constructor(
    readonly port: number,
    readonly option: PortOption,
  ) {
    super(`port ${port} (${PORT_ROLES[option]}) is already in use on 127.0.0.1`);
    this.name = 'PortInUseError';
  }
}

/** Each sandbox's serverless-offline builds into its own folder here (not .esbuild, which `serverless package` removes). */
export const SANDBOX_BUILD_ROOT = '.esbuild-sandbox';

export interface Sandbox {
  endpoint: string;
  apiUrl: string | undefined;
  /** Whether the HTTP API requires SigV4 (SANDBOX_API_AUTH). */
  apiAuth: boolean;
  /** serverless-offline's Lambda invoke port (undefined with an in-process invoker). */
  lambdaPort: number | undefined;
  stage: string;
  stack: SandboxStack;
  clock: VirtualClock;
  ecs: EcsEmulator;
  events: EventBridgeEmulator;
  sqs: SqsEmulator;
  sns: SnsEmulator;
  scheduler: SchedulerEmulator;
  lambda: AsyncLambda;
  calls: CallCounter;
  /** Environment for a process (a test, the CLI, the AWS CLI) that talks to the sandbox. */
  clientEnv: Record<string, string>;
  control(command: string, body?: unknown): Promise<unknown>;
  /** Waits until no event, invocation or queued message is in flight. */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

export const SANDBOX_CREDENTIALS = { AWS_ACCESS_KEY_ID: 'sandbox', AWS_SECRET_ACCESS_KEY: 'sandbox' };

function startOffline(
  stage: string,
  ports: { http: number; lambda: number },
  env: Record<string, string>,
  options: {
    verbose: boolean;
    buildFolder: string;
    params: Record<string, string>;
    progress: (message: string) => void;
  },
): { child: ChildProcess; ready: Promise<ChildProcess> } {
  const child = spawn(
    process.execPath,
    [
      join(ROOT, 'node_modules', 'serverless', 'bin', 'serverless.js'),
      'offline',
      'start',
      '--stage',
      stage,
      '--noAuth',
      '--host',
      '127.0.0.1',
      '--httpPort',
      String(ports.http),
      '--lambdaPort',
      String(ports.lambda),
      '--noPrependStageInUrl',
      `--param=esbuildWorkFolder=${options.buildFolder}`,
      ...Object.entries(options.params).map(([name, value]) => `--param=${name}=${value}`),
    ],
    {
      cwd: ROOT,
      env: {
        ...process.env,
        ...env,
        SLS_TELEMETRY_DISABLED: '1',
        SLS_NOTIFICATIONS_MODE: 'off',
        // The sandbox's scheduler runs the stack's schedules on the virtual clock instead.
        ECS_AUTOPILOT_OFFLINE_SCHEDULES: 'false',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const ready = new Promise<ChildProcess>((resolve, reject) => {
    let output: string | undefined = '';
    const onData = (chunk: Buffer) => {
      const text = chunk.toString();
      if (options.verbose) process.stdout.write(text);
      if (output === undefined) return;
      // serverless-esbuild bundles before serverless-offline says "Starting Offline".
      if (!output.includes('Starting Offline') && text.includes('Starting Offline')) {
        options.progress('functions bundled with esbuild');
      }
      output += text;
      if (output.includes('Server ready')) {
        output = undefined;
        resolve(child);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      if (output !== undefined) reject(new Error(`serverless offline exited with ${code}:\n${output}`));
    });
  });
  return { child, ready };
}

/** SIGTERM, then SIGKILL after a 3 s grace; resolves once the process has exited. */
async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  let grace: NodeJS.Timeout | undefined;
  await Promise.race([exited, new Promise((resolve) => (grace = setTimeout(resolve, 3000)))]);
  clearTimeout(grace); // a pending grace timer would keep the caller's process alive for 3 s
  if (child.exitCode === null && child.signalCode === null) {
    child.kill('SIGKILL');
    await exited;
  }
}

/** Ports this process handed out: the OS may give a port it just freed again, and a sandbox needs four. */
const handedOut = new Set<number>();

function freePort(): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  }).then((port) => {
    if (handedOut.has(port)) return freePort();
    handedOut.add(port);
    return port;
  });
}

/** Throws PortInUseError when something listens on 127.0.0.1:port (where serverless-offline will listen). */
function ensurePortFree(port: number, option: PortOption): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'EADDRINUSE' ? new PortInUseError(port, option) : error),
    );
    s.listen(port, '127.0.0.1', () => s.close(() => resolve()));
  });
}

/** Build folders left by sandboxes that did not stop cleanly (killed): named <pid>-<port>, their pid gone. */
async function removeStaleBuildFolders(): Promise<void> {
  const root = join(ROOT, SANDBOX_BUILD_ROOT);
  const names = await readdir(root).catch(() => [] as string[]);
  await Promise.all(
    names.map(async (name) => {
      const pid = Number(/^(\d+)-/.exec(name)?.[1]);
      if (!pid || isAlive(pid)) return;
      await rm(join(root, name), { recursive: true, force: true }).catch(() => undefined);
    }),
  );
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const stage = options.stage ?? 'sandbox';
  const progress = options.onProgress ?? (() => undefined);
  const withOffline = !options.invoker;
  // Requested ports first: a taken one fails here, before dynalite or serverless-offline start (0 = any).
  if (options.port) await ensurePortFree(options.port, 'port');
  if (withOffline && options.httpPort) await ensurePortFree(options.httpPort, 'httpPort');
  if (withOffline && options.lambdaPort) await ensurePortFree(options.lambdaPort, 'lambdaPort');
  const clock = new VirtualClock();
  const calls = new CallCounter();
  const port = options.port || (await freePort());
  const httpPort = options.httpPort || (withOffline ? await freePort() : 0);
  const lambdaPort = options.lambdaPort || (withOffline ? await freePort() : 0);
  const apiAuth = withOffline && (options.apiAuth ?? process.env.SANDBOX_API_AUTH !== 'off');
  // With auth on, serverless-offline listens on a port of its own behind the verifying proxy on httpPort.
  const offlineHttpPort = apiAuth ? await freePort() : httpPort;

  const offlineInvoker = options.invoker
    ? undefined
    : new OfflineLambdaInvoker(`http://127.0.0.1:${lambdaPort}`);
  const invoker: LambdaInvoker = options.invoker ?? (offlineInvoker as OfflineLambdaInvoker);
  const sqs = new SqsEmulator({ clock, baseUrl: `http://127.0.0.1:${port}`, invoker });
  const sqsArn = (name: string) => `arn:aws:sqs:${REGION}:${ACCOUNT_ID}:${name}`;
  let stack: SandboxStack | undefined;

  const lambda = new AsyncLambda({
    clock,
    invoker,
    // serverless-offline starts a worker thread (a cold start) per concurrent invocation; on a 2-core
    // machine a few warm workers per function drain a burst faster than many cold ones.
    maxConcurrency: options.lambdaConcurrency ?? Number(process.env.SANDBOX_LAMBDA_CONCURRENCY ?? 3),
    configFor: (functionName) => {
      const config = stack?.asyncConfig(functionName) ?? {
        maximumRetryAttempts: 2,
        maximumEventAgeSeconds: 21_600,
      };
      const dlq =
        config.onFailureLogicalId && stack
          ? sqsArn(stack.physicalName(config.onFailureLogicalId))
          : undefined;
      return {
        maximumRetryAttempts: config.maximumRetryAttempts,
        maximumEventAgeSeconds: config.maximumEventAgeSeconds,
        ...(options.lambdaRetryDelaysMs && { retryDelaysMs: options.lambdaRetryDelaysMs }),
        onFailure: dlq ? (record: unknown) => sqs.sendToArn(dlq, JSON.stringify(record)) : undefined,
      };
    },
  });
  const events = new EventBridgeEmulator({
    clock,
    deliver: {
      lambda: (functionName, event) => lambda.invokeAsync(functionName, event),
      sqs: (queueArn, body) => sqs.sendToArn(queueArn, body),
    },
  });
  const publish = (event: BusEvent) => events.publish(event);
  const ecs = new EcsEmulator({ clock, publish, timings: options.timings, throttling: options.throttling });
  const scheduler = new SchedulerEmulator({
    clock,
    deliver: (target: { Arn: string; Input?: string }) => {
      if (target.Arn.startsWith('arn:aws:sqs:')) sqs.sendToArn(target.Arn, target.Input ?? '{}');
      else if (target.Arn.startsWith('arn:aws:lambda:')) {
        lambda.invokeAsync(target.Arn.split(':')[6] ?? '', target.Input ? JSON.parse(target.Input) : {});
      } else console.warn(`[sandbox] scheduler target ${target.Arn} is not run in the sandbox`);
    },
  });

  const dynamo = await startDynalite();
  const sns = new SnsEmulator();
  // Known once the stack is read (below); a request before that is answered as for a stack not there yet.
  let cloudformation: CloudFormationEmulator | undefined;
  let lambdaApi: LambdaApiEmulator | undefined;

  const control = async (command: string, body: unknown = {}): Promise<unknown> => {
    if (body === null || typeof body !== 'object' || Array.isArray(body)) {
      throw new ControlInputError(`${command}: the body must be a JSON object`);
    }
    const b = body as Record<string, unknown>;
    /** The command's fields; any other is refused, as the CLI refuses unknown options. */
    const fields = (...accepted: string[]) => {
      const unknown = Object.keys(b).filter((key) => !accepted.includes(key));
      if (unknown.length > 0) {
        throw new ControlInputError(
          `${command}: unknown field ${unknown.join(', ')} (accepted: ${accepted.join(', ') || 'none'})`,
        );
      }
    };
    const arg = (name: string) => `${command}: ${name}`;
    switch (command) {
      case 'exit':
        fields('taskId', 'code');
        return ecs.exitTask(requiredText(arg('taskId'), b.taskId), exitCode(arg('code'), b.code));
      case 'oom':
        fields('taskId');
        return ecs.oom(requiredText(arg('taskId'), b.taskId));
      case 'fail-start':
        fields('taskId', 'reason');
        return ecs.failStart(requiredText(arg('taskId'), b.taskId), requiredText(arg('reason'), b.reason));
      case 'interrupt':
        fields('taskId');
        return ecs.interrupt(requiredText(arg('taskId'), b.taskId));
      case 'spot-warning':
        fields('instanceId');
        return ecs.spotWarning(requiredText(arg('instanceId'), b.instanceId));
      case 'spot-capacity':
        fields('on');
        return ecs.setSpotCapacity(onOff(arg('on'), b.on));
      case 'faults': {
        fields('throttle', 'error', 'api');
        const api = b.api === undefined ? undefined : [b.api].flat();
        if (api?.some((name) => typeof name !== 'string')) {
          throw new ControlInputError(`${arg('api')} must be ECS operation names, e.g. ["RunTask"]`);
        }
        return ecs.setFaults({
          throttle: rate(arg('throttle'), b.throttle ?? 0),
          error: rate(arg('error'), b.error ?? 0),
          api: api as string[] | undefined,
        });
      }
      case 'throttling':
        fields('on');
        return ecs.setThrottling(onOff(arg('on'), b.on));
      case 'events': {
        fields('duplicate', 'shuffle');
        if (b.shuffle !== undefined && typeof b.shuffle !== 'boolean') {
          throw new ControlInputError(`${arg('shuffle')} must be true or false`);
        }
        return events.setDelivery({
          duplicateRate: rate(arg('duplicate'), b.duplicate ?? 0),
          shuffleWindowMs: b.shuffle ? 2000 : 0,
        });
      }
      case 'clock': {
        fields('advance');
        clock.advance(clockAdvance(arg('advance'), b.advance));
        return { now: new Date(clock.now()).toISOString() };
      }
      case 'emit': {
        fields('event');
        const event = b.event as Partial<BusEvent> | undefined;
        if (typeof event?.source !== 'string' || typeof event['detail-type'] !== 'string') {
          throw new ControlInputError(
            `${arg('event')} must be an EventBridge event (an object with source, detail-type and detail)`,
          );
        }
        events.publish(event as BusEvent);
        return { emitted: event.id };
      }
      case 'tasks':
        fields();
        return ecs.taskTable();
      case 'instances':
        fields();
        return ecs.instanceTable();
      case 'stats':
        fields();
        return {
          calls: calls.snapshot(),
          events: events.stats(),
          lambda: lambda.stats(),
          now: new Date(clock.now()).toISOString(),
        };
      case 'reset-stats':
        fields();
        calls.reset();
        return { ok: true };
      case 'idle':
        fields();
        await sandbox.idle();
        return { ok: true };
      default:
        throw new ControlInputError(`unknown sandbox command "${command}"`, 404);
    }
  };

  let stopping = false;
  const server = createEdgeServer(
    {
      isStopping: () => stopping,
      ecs: (op, input) => ecs.handle(op, input),
      events: (op, input) => events.handle(op, input),
      sqs: (op, input) => sqs.handle(op, input),
      dynamodb: (req, res) => dynamo.listener(req, res),
      scheduler: (method, path, query, body) => scheduler.handleRest(method, path, query, body),
      control,
      sns,
      cloudformation: {
        namespace: 'http://cloudformation.amazonaws.com/doc/2010-05-15/',
        handle: (action, input) =>
          (
            cloudformation ?? new CloudFormationEmulator({ name: '', outputs: [], createdAt: new Date() })
          ).handle(action, { ...input, StackName: input.StackName ?? '-' }),
      },
      lambda: (method, path) => (lambdaApi ?? new LambdaApiEmulator([])).handleRest(method, path),
    },
    calls,
  );
  const actualPort = await listen(server, port).catch(async (error: NodeJS.ErrnoException) => {
    await dynamo.close();
    throw error.code === 'EADDRINUSE' ? new PortInUseError(port, 'port') : error;
  });
  const endpoint = `http://127.0.0.1:${actualPort}`;
  progress(`AWS endpoint listening on ${endpoint}`);

  const clientEnv: Record<string, string> = {
    ...SANDBOX_CREDENTIALS,
    AWS_REGION: REGION,
    AWS_DEFAULT_REGION: REGION,
    AWS_ENDPOINT_URL: endpoint,
    SANDBOX_PORT: String(actualPort),
    // The CLI (npx ecs-autopilot) finds the sandbox's stack, ecs-autopilot-<stage>, through this.
    ECS_AUTOPILOT_STAGE: stage,
    // This machine runs Node 20 (Lambda runs 22): the SDK's notice about Node 20 is noise here.
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };

  // serverless-offline loads serverless and bundles the functions (the longest step): started first, the
  // stack is read and created beside it.
  const buildFolder = join(SANDBOX_BUILD_ROOT, `${process.pid}-${lambdaPort}`);
  const offline = withOffline
    ? startOffline(stage, { http: offlineHttpPort, lambda: lambdaPort }, clientEnv, {
        verbose: options.verbose ?? false,
        buildFolder,
        params: options.params ?? {},
        progress,
      })
    : undefined;
  if (offline) {
    // Awaited below, after the stack is read; a child that dies sooner must not be an unhandled rejection.
    offline.ready.catch(() => undefined);
    progress('serverless-offline starting: it loads serverless, then bundles the functions');
  }
  const removeBuildFolder = () =>
    rm(join(ROOT, buildFolder), { recursive: true, force: true }).catch(() => undefined);
  let offlineProcess: ChildProcess | undefined;
  let apiProxy: ReturnType<typeof createApiAuthProxy> | undefined;
  try {
    const [printed] = await Promise.all([
      printConfigCached(stage, { ...process.env, ...clientEnv }),
      withOffline ? removeStaleBuildFolders() : undefined,
    ]);
    progress(`stack read from serverless.yml (${printed.cached ? 'cached' : 'serverless print'})`);
    stack = stackFromConfig(printed.config);
    const names = stack;
    await createTablesFromTemplate(endpoint, stack.template, (id) => names.physicalName(id));
    sqs.loadTemplate(
      stack.template,
      (id) => names.functionNameForLogicalId(id),
      (id) => names.physicalName(id),
    );
    events.loadTemplate(
      stack.template,
      (id) => names.functionNameForLogicalId(id),
      (id) => sqsArn(names.physicalName(id)),
    );
    sns.loadTemplate(stack.template, (id) => names.physicalName(id));
    cloudformation = new CloudFormationEmulator({
      name: `${SERVICE}-${stage}`,
      createdAt: new Date(clock.now()),
      outputs: stackOutputs(
        { template: stack.template, physicalName: (id) => names.physicalName(id), endpoint },
        withOffline ? `http://127.0.0.1:${httpPort}` : undefined,
      ),
    });
    lambdaApi = new LambdaApiEmulator(
      Object.entries(names.functionNames).map(([key, name]) => ({
        name,
        handler: printed.config.functions[key]?.handler,
        timeout: printed.config.functions[key]?.timeout,
        environment: names.environments[key] ?? {},
      })),
    );
    for (const [id, resource] of Object.entries(stack.template.Resources)) {
      if (resource.Type === 'AWS::Scheduler::ScheduleGroup') {
        await scheduler.handleRest(
          'POST',
          `/schedule-groups/${names.physicalName(id)}`,
          new URLSearchParams(),
          {},
        );
      }
    }
    for (const s of stack.schedules) {
      await scheduler.handleRest('POST', `/schedules/${s.name}`, new URLSearchParams(), {
        ScheduleExpression: s.expression,
        FlexibleTimeWindow: { Mode: 'OFF' },
        Target: {
          Arn: `arn:aws:lambda:${REGION}:${ACCOUNT_ID}:function:${s.functionName}`,
          RoleArn: `arn:aws:iam::${ACCOUNT_ID}:role/sandbox-scheduler`,
          Input: s.input,
        },
      });
    }
    ecs.seed();
    progress('tables, queues, rules and schedules created; cluster sandbox seeded');
    if (offline) {
      offlineProcess = await offline.ready;
      progress(`serverless-offline ready: HTTP API on port ${httpPort}, Lambda on port ${lambdaPort}`);
    }
    if (apiAuth) {
      apiProxy = createApiAuthProxy({ target: { host: '127.0.0.1', port: offlineHttpPort }, region: REGION });
      await listen(apiProxy, httpPort).catch((error: NodeJS.ErrnoException) => {
        throw error.code === 'EADDRINUSE' ? new PortInUseError(httpPort, 'httpPort') : error;
      });
    }
    offlineInvoker?.ready();
  } catch (error) {
    apiProxy?.close();
    if (offline) await stopChild(offline.child);
    await removeBuildFolder();
    server.close();
    await dynamo.close();
    clock.stop();
    sqs.stop();
    throw error;
  }

  const sandbox: Sandbox = {
    endpoint,
    apiUrl: options.invoker ? undefined : `http://127.0.0.1:${httpPort}`,
    apiAuth,
    lambdaPort: options.invoker ? undefined : lambdaPort,
    stage,
    stack,
    clock,
    ecs,
    events,
    sqs,
    sns,
    scheduler,
    lambda,
    calls,
    clientEnv,
    control,
    async idle() {
      // Quiet twice in a row: a delivery can start new work (a Lambda that sends to a queue).
      for (let quietRounds = 0; quietRounds < 2; ) {
        await lambda.idle();
        await sqs.idle();
        const busy = lambda.pending() > 0;
        quietRounds = busy ? 0 : quietRounds + 1;
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    async stop() {
      // Functions first (they call the endpoint), then the emulators' timers, then the endpoint, then storage.
      stopping = true;
      if (apiProxy) {
        const proxy = apiProxy;
        proxy.closeAllConnections?.();
        await new Promise<void>((resolve) => proxy.close(() => resolve()));
      }
      if (offlineProcess) await stopChild(offlineProcess);
      await removeBuildFolder();
      sqs.stop();
      clock.stop();
      server.closeAllConnections?.();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await new Promise((resolve) => setTimeout(resolve, 50));
      await dynamo.close();
    },
  };
  return sandbox;
}
