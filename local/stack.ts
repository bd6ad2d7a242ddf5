/**
 * What the sandbox needs to know about the stack, read from serverless.yml itself through
 * `serverless print` (resolved for the sandbox stage), then shaped like the CloudFormation that
 * `serverless package` compiles: rules, event source mappings and async-invoke configs. Printing takes
 * about 3 s and no bundling, so it runs beside serverless-offline's own start.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { CfnResource, CfnTemplate } from './template';
import { ROOT } from './template';

export const SERVICE = 'ecs-autopilot';

interface PrintedFunction {
  name: string;
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
  resources?: { Resources?: Record<string, CfnResource> };
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
    template: { Resources: resources },
    functionNames,
    functionNameForLogicalId: (id) => byLogicalId.get(id),
    physicalName: (id) => `${config.service}-${stage}-${id}`,
    asyncConfig: (name) =>
      asyncConfigs.get(name) ?? { maximumRetryAttempts: 2, maximumEventAgeSeconds: 21_600 },
    schedules,
    environments,
  };
}
