/**
 * What the sandbox needs to know about the stack, read from serverless.yml itself through
 * `serverless print` (resolved for the sandbox stage), then shaped like the CloudFormation that
 * `serverless package` compiles: rules, event source mappings and async-invoke configs. Printing takes
 * about 2 s of CPU (loading serverless and its plugins) and no bundling, so it runs beside
 * serverless-offline's own start; its output is cached for as long as its inputs stay the same.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CfnResource, CfnTemplate } from './template';
import { ROOT } from './template';

export const SERVICE = 'ecs-autopilot';

interface PrintedFunction {
  name: string;
  handler?: string;
  maximumRetryAttempts?: number;
  maximumEventAge?: number;
  destinations?: { onFailure?: { type?: string; arn: unknown } };
  events?: Record<string, Record<string, unknown>>[];
  timeout?: number;
  environment?: Record<string, unknown>;
}

export interface PrintedConfig {
  service: string;
  provider: { stage: string; environment?: Record<string, unknown> };
  functions: Record<string, PrintedFunction>;
  resources?: { Resources?: Record<string, CfnResource>; Outputs?: Record<string, unknown> };
}

export interface SandboxStack {
  stage: string;
  template: CfnTemplate;
  /** function key (taskEvents) -> deployed name (ecs-autopilot-sandbox-taskEvents) */
  functionNames: Record<string, string>;
  functionNameForLogicalId(logicalId: string): string | undefined;
  /** The sandbox's physical name for a resource: <service>-<stage>-<LogicalId>, as the sandbox stage params say. */
  physicalName(logicalId: string): string;
  asyncConfig(functionName: string): {
    maximumRetryAttempts: number;
    maximumEventAgeSeconds: number;
    onFailureLogicalId?: string;
  };
  /** `schedule` events with `method: scheduler`: EventBridge Scheduler schedules that invoke a function. */
  schedules: { name: string; expression: string; functionName: string; input?: string }[];
  /** function key -> its resolved environment (provider's, then the function's own). */
  environments: Record<string, Record<string, string>>;
}

/** Serverless' logical id for a function key: taskEvents -> TaskEventsLambdaFunction. */
export const lambdaLogicalId = (key: string) =>
  `${key.charAt(0).toUpperCase()}${key.slice(1).replace(/-/g, 'Dash').replace(/_/g, 'Underscore')}LambdaFunction`;

export function printConfig(stage: string, env: NodeJS.ProcessEnv = process.env): Promise<PrintedConfig> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        join(ROOT, 'node_modules', 'serverless', 'bin', 'serverless.js'),
        'print',
        '--stage',
        stage,
        '--format',
        'json',
      ],
      { cwd: ROOT, env: { ...env, SLS_TELEMETRY_DISABLED: '1', SLS_NOTIFICATIONS_MODE: 'off' } },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      err += d;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`serverless print failed (${code}):\n${err}`));
      try {
        resolve(JSON.parse(out.slice(out.indexOf('{'))) as PrintedConfig);
      } catch (error) {
        reject(new Error(`cannot read serverless print output: ${(error as Error).message}`));
      }
    });
  });
}

/** Where printed configs are kept: tool caches live in node_modules/.cache, gone with a fresh install. */
export const PRINT_CACHE_DIR = join(ROOT, 'node_modules', '.cache', 'ecs-autopilot-sandbox');
const PRINT_CACHE_KEEP = 8;
/** Variable sources whose inputs printCacheKey knows; any other (ssm:, cf:, aws:, s3:) disables the cache. */
const KNOWN_SOURCES = new Set(['self', 'param', 'env', 'opt', 'file', 'strToBool', 'sls']);

/**
 * What `serverless print` reads, as a hash: serverless.yml, every file under deploy/ (its `${file()}`
 * sources), the lockfile (serverless and its plugins), the stage and every `${env:NAME}` it names.
 * Undefined when serverless.yml uses a source whose inputs are not known here.
 */
export function printCacheKey(stage: string, env: NodeJS.ProcessEnv, root = ROOT): string | undefined {
  const yml = readFileSync(join(root, 'serverless.yml'), 'utf8');
  // `${AWS::Region}` is CloudFormation's Fn::Sub, not a serverless variable; `${sls:stage}` is the stage.
  const sources = [...yml.matchAll(/\$\{([A-Za-z]+)(?::(?!:)|\()/g)].map((m) => m[1] as string);
  if (sources.some((source) => !KNOWN_SOURCES.has(source))) return undefined;
  if (/\$\{sls:(?!stage\})/.test(yml)) return undefined;
  const files = yml.match(/\$\{file\(([^)]+)\)/g) ?? [];
  if (files.some((f) => !/^\$\{file\(\.\/deploy\//.test(f))) return undefined;
  const hash = createHash('sha256').update(JSON.stringify({ stage, yml }));
  const deploy = join(root, 'deploy');
  for (const name of readdirSync(deploy, { recursive: true, encoding: 'utf8' }).sort()) {
    const path = join(deploy, name);
    try {
      hash.update(name).update(readFileSync(path));
    } catch {
      // a folder
    }
  }
  hash.update(readFileSync(join(root, 'package-lock.json')));
  const envNames = [...new Set([...yml.matchAll(/\$\{env:([A-Za-z0-9_]+)/g)].map((m) => m[1] as string))];
  for (const name of envNames.sort()) hash.update(`${name}=${env[name] ?? '<unset>'}\n`);
  return hash.digest('hex').slice(0, 32);
}

/**
 * printConfig, or its cached output when the inputs (printCacheKey) are unchanged. `cached` says which;
 * a cache that cannot be read or written is skipped, never an error.
 */
export async function printConfigCached(
  stage: string,
  env: NodeJS.ProcessEnv = process.env,
  cacheDir = PRINT_CACHE_DIR,
): Promise<{ config: PrintedConfig; cached: boolean }> {
  const key = printCacheKey(stage, env);
  const path = key && join(cacheDir, `print-${stage}-${key}.json`);
  if (path) {
    const text = await readFile(path, 'utf8').catch(() => undefined);
    if (text) return { config: JSON.parse(text) as PrintedConfig, cached: true };
  }
  const config = await printConfig(stage, env);
  if (path) {
    await mkdir(cacheDir, { recursive: true })
      .then(async () => {
        const partial = `${path}.${process.pid}.tmp`;
        await writeFile(partial, JSON.stringify(config));
        await rename(partial, path);
        await pruneCache(cacheDir);
      })
      .catch(() => undefined);
  }
  return { config, cached: false };
}

/** Keeps the newest few: every SANDBOX_PORT gets its own entry (queue URLs name the port). */
async function pruneCache(cacheDir: string): Promise<void> {
  const names = (await readdir(cacheDir)).filter((n) => n.startsWith('print-') && n.endsWith('.json'));
  const dated = await Promise.all(
    names.map(async (name) => ({ name, mtime: (await stat(join(cacheDir, name))).mtimeMs })),
  );
  dated.sort((a, b) => b.mtime - a.mtime);
  await Promise.all(dated.slice(PRINT_CACHE_KEEP).map((d) => rm(join(cacheDir, d.name), { force: true })));
}

const getAttTarget = (value: unknown): string | undefined => {
  const att = (value as { 'Fn::GetAtt'?: [string, string] })?.['Fn::GetAtt'];
  return Array.isArray(att) ? att[0] : undefined;
};

/** Compiles the printed config into the CloudFormation shapes the emulators load. */
export function stackFromConfig(config: PrintedConfig): SandboxStack {
  const stage = config.provider.stage;
  const resources: Record<string, CfnResource> = { ...(config.resources?.Resources ?? {}) };
  const functionNames: Record<string, string> = {};
  const byLogicalId = new Map<string, string>();
  const asyncConfigs = new Map<string, ReturnType<SandboxStack['asyncConfig']>>();
  const schedules: SandboxStack['schedules'] = [];
  const environments: SandboxStack['environments'] = {};
  const asStrings = (env: Record<string, unknown> | undefined) =>
    Object.fromEntries(Object.entries(env ?? {}).map(([k, v]) => [k, String(v)]));

  for (const [key, fn] of Object.entries(config.functions)) {
    environments[key] = { ...asStrings(config.provider.environment), ...asStrings(fn.environment) };
    const logicalId = lambdaLogicalId(key);
    functionNames[key] = fn.name;
    byLogicalId.set(logicalId, fn.name);
    asyncConfigs.set(fn.name, {
      maximumRetryAttempts: fn.maximumRetryAttempts ?? 2,
      maximumEventAgeSeconds: fn.maximumEventAge ?? 21_600,
      onFailureLogicalId: getAttTarget(fn.destinations?.onFailure?.arn),
    });
    resources[logicalId] = { Type: 'AWS::Lambda::Function', Properties: { FunctionName: fn.name } };
    (fn.events ?? []).forEach((event, index) => {
      if (event.eventBridge) {
        const e = event.eventBridge as {
          pattern?: unknown;
          retryPolicy?: { maximumEventAge?: number; maximumRetryAttempts?: number };
          deadLetterQueueArn?: unknown;
          enabled?: boolean;
        };
        resources[`${logicalId.replace(/LambdaFunction$/, '')}EventBridgeRule${index + 1}`] = {
          Type: 'AWS::Events::Rule',
          Properties: {
            Name: `${fn.name}-rule-${index + 1}`,
            EventPattern: e.pattern,
            State: e.enabled === false ? 'DISABLED' : 'ENABLED',
            Targets: [
              {
                Id: `${fn.name}-rule-${index + 1}-target`,
                Arn: { 'Fn::GetAtt': [logicalId, 'Arn'] },
                ...(e.retryPolicy && {
                  RetryPolicy: {
                    MaximumEventAgeInSeconds: e.retryPolicy.maximumEventAge,
                    MaximumRetryAttempts: e.retryPolicy.maximumRetryAttempts,
                  },
                }),
                ...(e.deadLetterQueueArn !== undefined && {
                  DeadLetterConfig: { Arn: e.deadLetterQueueArn },
                }),
              },
            ],
          },
        };
      }
      if (event.schedule) {
        const e = event.schedule as {
          rate?: string[] | string;
          input?: unknown;
          method?: string;
          enabled?: boolean;
        };
        for (const [n, expression] of [e.rate ?? []].flat().entries()) {
          if (e.enabled === false) continue;
          schedules.push({
            name: `${fn.name}-schedule-${index + 1}-${n + 1}`.slice(0, 64),
            expression,
            functionName: fn.name,
            input:
              e.input === undefined
                ? undefined
                : typeof e.input === 'string'
                  ? e.input
                  : JSON.stringify(e.input),
          });
        }
      }
      if (event.sqs) {
        const e = event.sqs as {
          arn: unknown;
          batchSize?: number;
          maximumBatchingWindow?: number;
          maximumConcurrency?: number;
          functionResponseType?: string;
          enabled?: boolean;
        };
        resources[`${logicalId.replace(/LambdaFunction$/, '')}EventSourceMappingSQS${index + 1}`] = {
          Type: 'AWS::Lambda::EventSourceMapping',
          Properties: {
            EventSourceArn: e.arn,
            FunctionName: { 'Fn::GetAtt': [logicalId, 'Arn'] },
            BatchSize: e.batchSize ?? 10,
            MaximumBatchingWindowInSeconds: e.maximumBatchingWindow ?? 0,
            ...(e.maximumConcurrency && { ScalingConfig: { MaximumConcurrency: e.maximumConcurrency } }),
            ...(e.functionResponseType && { FunctionResponseTypes: [e.functionResponseType] }),
            Enabled: e.enabled !== false,
          },
        };
      }
    });
  }

  return {
    stage,
    template: {
      Resources: resources,
      ...(config.resources?.Outputs && { Outputs: config.resources.Outputs }),
    },
    functionNames,
    functionNameForLogicalId: (id) => byLogicalId.get(id),
    physicalName: (id) => `${config.service}-${stage}-${id}`,
    asyncConfig: (name) =>
      asyncConfigs.get(name) ?? { maximumRetryAttempts: 2, maximumEventAgeSeconds: 21_600 },
    schedules,
    environments,
  };
}
