/**
 * The packaged CloudFormation template (`serverless package` output) is the sandbox's source of truth
 * for what the stack has: table, queues, rules, functions. Reading it keeps the sandbox and the
 * deployed stack from drifting.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const ROOT = join(__dirname, '..');

export interface CfnResource {
  Type: string;
  // biome-ignore lint/suspicious/noExplicitAny: CloudFormation properties are free-form JSON.
  Properties?: Record<string, any>;
  DependsOn?: unknown;
}
export interface CfnTemplate {
  Resources: Record<string, CfnResource>;
  Outputs?: Record<string, unknown>;
}

/**
 * Packages the stack (offline) unless a packaged template is already there. With `params`, packages
 * into its own folder with those stage parameters (`--param name=value`), leaving .serverless alone.
 */
export function loadTemplate(
  options: { repackage?: boolean; stage?: string; params?: string[] } = {},
): CfnTemplate {
  const dir = options.params ? join(ROOT, '.serverless-params') : join(ROOT, '.serverless');
  const path = join(dir, 'cloudformation-template-update-stack.json');
  if (options.repackage || options.params || !existsSync(path)) {
    const extra = options.params ? ['--package', dir, ...options.params.map((p) => `--param=${p}`)] : [];
    const result = spawnSync(process.execPath, [join(ROOT, 'scripts', 'package.mjs'), ...extra], {
      cwd: ROOT,
      env: { ...process.env, STAGE: options.stage ?? process.env.STAGE ?? 'dev' },
      encoding: 'utf8',
    });
    if (result.status !== 0)
      throw new Error(`serverless package failed:\n${result.stdout}\n${result.stderr}`);
  }
  return JSON.parse(readFileSync(path, 'utf8')) as CfnTemplate;
}

export function resourcesOfType(template: CfnTemplate, type: string): [string, CfnResource][] {
  return Object.entries(template.Resources).filter(([, r]) => r.Type === type);
}
