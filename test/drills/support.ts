/**
 * Shared pieces of the fault drills (test/drills/*.ts): a DynamoDB on dynalite with the stack's table,
 * seeded randomness, a quiet logger, an in-process launch queue, a fake ECS RunTask keyed on clientToken,
 * and the result every drill returns (counts to print, failures to judge).
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createTablesFromTemplate, localClientConfig, startDynalite } from '../../local/dynamo';
import { loadTemplate } from '../../local/template';

export interface DrillResult {
  name: string;
  /** What happened, by name: printed by the runner, documented in drills/README.md. */
  counts: Record<string, number>;
  /** Broken expectations, one line each (at most MAX_FAILURES kept, `failureCount` has them all). */
  failures: string[];
  failureCount: number;
  seconds: number;
}

const MAX_FAILURES = 20;

/** Collects counts and failures while a drill runs. */
export class Tally {
  readonly counts: Record<string, number> = {};
  readonly failures: string[] = [];
  failureCount = 0;
  private readonly started = performance.now();

  constructor(readonly name: string) {}

  add(name: string, by = 1): void {
    this.counts[name] = (this.counts[name] ?? 0) + by;
  }

  set(name: string, value: number): void {
    this.counts[name] = value;
  }

  fail(message: string): void {
    this.failureCount++;
    if (this.failures.length < MAX_FAILURES) this.failures.push(message);
  }

  /** Fails with `message` unless `actual` equals `expected`. */
  expectEqual(what: string, actual: unknown, expected: unknown): void {
    const a = JSON.stringify(actual);
    const e = JSON.stringify(expected);
    if (a !== e) this.fail(`${what}: expected ${clip(e)}, got ${clip(a)}`);
  }

  result(): DrillResult {
    return {
      name: this.name,
      counts: this.counts,
      failures: this.failures,
      failureCount: this.failureCount,
      seconds: Number(((performance.now() - this.started) / 1000).toFixed(1)),
    };
  }
}

export const clip = (s: string | undefined, n = 300) =>
  s === undefined ? 'undefined' : s.length > n ? `${s.slice(0, n)}…(${s.length} chars)` : s;

/** Deterministic pseudo-random numbers in [0, 1) (mulberry32), as bench/lib/stats.ts. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fisher-Yates, in place, with the given randomness. */
export function shuffle<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
  return items;
}

export const hexOf = (random: () => number, n: number) =>
  Array.from({ length: n }, () => Math.floor(random() * 16).toString(16)).join('');

/** Runs `work` over `items` with at most `limit` in flight. */
export async function inParallel<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** A logger that counts messages and prints nothing (the handlers take `Pick<Logger, ...>`). */
export function quietLogger() {
  const messages: Record<string, number> = {};
  const count = (...args: unknown[]) => {
    const first = args[0];
    const key = typeof first === 'string' ? first : String((first as { message?: string })?.message);
    messages[key] = (messages[key] ?? 0) + 1;
  };
  return {
    messages,
    info: count,
    warn: count,
    error: count,
    debug: count,
  };
}

// ---------- DynamoDB on dynalite ----------

export interface DrillDb {
  db: DynamoDBDocumentClient;
  /**
   * Another client on the same DynamoDB whose every call waits `jitterMs * random()` first (network latency
   * that varies, as between Lambda and DynamoDB), so concurrent calls reach the table in varied orders.
   */
  jittered(jitterMs: number, random: () => number): DynamoDBDocumentClient;
  /** A fresh table shaped like the stack's (its GSIs included), named after the drill. */
  newTable(prefix: string): Promise<string>;
  close(): Promise<void>;
}

let tables = 0;

/** dynalite in a child process (test/drills/dynaliteServer.ts, run through tsx): its endpoint and a stop. */
export async function startDynaliteProcess(): Promise<{
  endpoint: string;
  pid: number | undefined;
  close(): Promise<void>;
}> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'dynaliteServer.ts')], {
    cwd: join(__dirname, '..', '..'),
    stdio: ['pipe', 'pipe', 'inherit'],
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const endpoint = await new Promise<string>((resolve, reject) => {
    let text = '';
    child.stdout.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8');
      const line = text.split('\n')[0];
      if (text.includes('\n') && line) resolve((JSON.parse(line) as { endpoint: string }).endpoint);
    });
    child.once('exit', (code) => reject(new Error(`dynalite process exited (${code}) before it listened`)));
  });
  return {
    endpoint,
    pid: child.pid,
    async close() {
      child.stdin.end();
      const timer = setTimeout(() => child.kill(), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/**
 * DynamoDB for a drill: dynalite with the stack's tables (the packaged template). By default in a child
 * process, which about halves the wall time on two cores; `inProcess` runs it here, as the integration tests do.
 */
export async function startDrillDb(options: { inProcess?: boolean } = {}): Promise<DrillDb> {
  const dynamo = options.inProcess ? await startDynalite() : await startDynaliteProcess();
  const template = loadTemplate();
  const db = DynamoDBDocumentClient.from(new DynamoDBClient(localClientConfig(dynamo.endpoint)), {
    marshallOptions: { removeUndefinedValues: true },
  });
  const clients: DynamoDBDocumentClient[] = [db];
  return {
    db,
    jittered(jitterMs, random) {
      const client = new DynamoDBClient(localClientConfig(dynamo.endpoint));
      client.middlewareStack.add(
        (next) => async (args) => {
          await new Promise((resolve) => setTimeout(resolve, Math.floor(random() * jitterMs)));
          return next(args);
        },
        { step: 'finalizeRequest', name: 'drillJitter' },
      );
      const jittered = DynamoDBDocumentClient.from(client, {
        marshallOptions: { removeUndefinedValues: true },
      });
      clients.push(jittered);
      return jittered;
    },
    async newTable(prefix) {
      const name = `${prefix}-${++tables}`;
      await createTablesFromTemplate(dynamo.endpoint, template, () => name);
      return name;
    },
    async close() {
      for (const client of clients) client.destroy();
      await dynamo.close();
    },
  };
}

// ---------- AWS-shaped errors ----------

/** An error as the SDK throws it for a throttled call (HTTP 400, client fault). */
export const throttling = () =>
  Object.assign(new Error('Rate exceeded'), {
    name: 'ThrottlingException',
    $fault: 'client',
    $metadata: { httpStatusCode: 400 },
  });

/** ECS's ServerException (HTTP 500, server fault). */
export const serverError = () =>
  Object.assign(new Error('Service encountered an internal error.'), {
    name: 'ServerException',
    $fault: 'server',
    $metadata: { httpStatusCode: 500 },
  });

/** A task ARN derived from a clientToken: the same token always names the same task, as ECS does. */
export function taskArnForToken(cluster: string, clientToken: string): string {
  const name = cluster.split('/').pop() ?? cluster;
  const id = createHash('sha256').update(`${name}|${clientToken}`).digest('hex').slice(0, 32);
  return `arn:aws:ecs:us-east-1:111122223333:task/${name}/${id}`;
}

export const taskIdOf = (arn: string) => arn.split('/').pop() ?? arn;
