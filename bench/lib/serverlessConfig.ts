import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BuildOptions } from 'esbuild';

/**
 * Reads what the benchmarks need from serverless.yml, so they follow the deployed configuration instead of
 * a copy of it: custom.esbuild (bundling), provider.environment and functions.<name>.environment (what a
 * function's cold start validates), functions.<name>.handler. A deliberately small reader for block
 * mappings of scalars (no dependency added); anything it cannot resolve is an error, never a guess.
 */

export const PROJECT_ROOT = join(__dirname, '..', '..');

/** Scalars under the mapping at `path`, raw (unparsed); keys whose value is a nested block map to ''. */
export function yamlBlock(text: string, path: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  const stack: { indent: number; key: string }[] = [];
  let childIndent: number | undefined;
  for (const line of text.split('\n')) {
    if (/^\s*(#.*)?$/.test(line)) continue;
    const m = /^( *)([A-Za-z0-9_.-]+):(?:\s+(.*))?$/.exec(line);
    if (!m) continue; // list items, flow continuation lines
    const indent = (m[1] ?? '').length;
    const key = m[2] as string;
    while (stack.length > 0 && (stack[stack.length - 1] as { indent: number }).indent >= indent) stack.pop();
    const atPath = stack.length === path.length && stack.every((s, i) => s.key === path[i]);
    if (atPath) {
      childIndent ??= indent;
      if (indent === childIndent) out[key] = stripComment((m[3] ?? '').trim());
    }
    stack.push({ indent, key });
  }
  return out;
}

function stripComment(raw: string): string {
  if (raw.startsWith('"') || raw.startsWith("'")) return raw;
  return raw.replace(/\s+#.*$/, '');
}

/** A YAML scalar or a JSON-compatible flow sequence; a flow mapping stays a string (e.g. `{ Ref: Table }`). */
export function yamlScalar(raw: string): unknown {
  if (raw === 'true' || raw === 'false') return raw === 'true';
  if (/^-?\d+(\.\d+)?$/.test(raw)) return Number(raw);
  if (raw.startsWith('"')) return JSON.parse(raw);
  if (raw.startsWith("'")) return raw.slice(1, -1).replace(/''/g, "'");
  if (raw.startsWith('[')) return JSON.parse(raw.replace(/'/g, '"'));
  return raw;
}

export interface ServerlessConfig {
  text: string;
  runtime: string;
  /** esbuild options exactly as serverless-esbuild derives them from custom.esbuild (plus its defaults). */
  esbuild: BuildOptions;
  /** The raw custom.esbuild block, for the report. */
  esbuildRaw: Record<string, unknown>;
  functions: { name: string; handler: string; file: string }[];
  /** A function's environment (provider, then function), ${param:...} resolved from params.default. */
  environment(functionName: string | undefined, overrides: Record<string, string>): Record<string, string>;
}

/** serverless-esbuild options that are not esbuild's (removed before esbuild sees them). */
const PLUGIN_ONLY = new Set([
  'concurrency',
  'zipConcurrency',
  'exclude',
  'nativeZip',
  'packager',
  'packagePath',
  'watch',
  'keepOutputDirectory',
  'packagerOptions',
  'installExtraArgs',
  'outputFileExtension',
  'outputBuildFolder',
  'outputWorkFolder',
  'nodeExternals',
  'skipBuild',
  'skipRebuild',
  'skipBuildExcludeFns',
  'stripEntryResolveExtensions',
  'disposeContext',
]);

export function readServerlessConfig(root = PROJECT_ROOT): ServerlessConfig {
  const text = readFileSync(join(root, 'serverless.yml'), 'utf8');
  const runtime = String(yamlScalar(yamlBlock(text, ['provider']).runtime ?? ''));
  const esbuildRaw: Record<string, unknown> = {};
  for (const [key, raw] of Object.entries(yamlBlock(text, ['custom', 'esbuild']))) {
    if (raw === '') throw new Error(`serverless.yml custom.esbuild.${key}: nested options are not supported`);
    esbuildRaw[key] = yamlScalar(raw);
  }
  if ('config' in esbuildRaw)
    throw new Error('serverless.yml custom.esbuild.config (a JS file) is not supported');

  // serverless-esbuild's defaults, then custom.esbuild over them (dist/index.js, dist/bundle.js).
  const nodeMajor = /^nodejs(\d+)\.x$/.exec(runtime)?.[1];
  const merged: Record<string, unknown> = {
    bundle: true,
    platform: 'node',
    ...(nodeMajor ? { target: `node${nodeMajor}` } : {}),
    external: [],
    exclude: ['aws-sdk'],
    ...esbuildRaw,
  };
  const exclude = (merged.exclude as string[]) ?? [];
  const external = [...((merged.external as string[]) ?? []), ...(exclude.includes('*') ? [] : exclude)];
  const esbuild: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(merged)) if (!PLUGIN_ONLY.has(key)) esbuild[key] = value;
  esbuild.external = external;

  const functions = Object.keys(yamlBlock(text, ['functions'])).map((name) => {
    const handler = String(yamlScalar(yamlBlock(text, ['functions', name]).handler ?? ''));
    return { name, handler, file: handler.replace(/\.[^./]+$/, '') };
  });

  const params = yamlBlock(text, ['params', 'default']);
  // A flow collection ({ Ref: Table }) is a CloudFormation intrinsic, not a value known offline.
  const scalarText = (raw: string): string | undefined =>
    /^[{[]/.test(raw) ? undefined : String(yamlScalar(raw));
  const resolve = (raw: string): string | undefined => {
    let failed = false;
    const value = raw.replace(/\$\{param:([A-Za-z0-9_]+)\}/g, (_whole, param: string) => {
      const p = params[param];
      const text = p === undefined ? undefined : scalarText(p);
      if (text === undefined) failed = true;
      return text ?? '';
    });
    if (failed || value.includes('${')) return undefined;
    return value === raw ? scalarText(raw) : value;
  };

  return {
    text,
    runtime,
    esbuild: esbuild as BuildOptions,
    esbuildRaw,
    functions,
    environment(functionName, overrides) {
      const raw = {
        ...yamlBlock(text, ['provider', 'environment']),
        ...(functionName ? yamlBlock(text, ['functions', functionName, 'environment']) : {}),
      };
      const env: Record<string, string> = {};
      const unresolved: string[] = [];
      for (const [name, value] of Object.entries(raw)) {
        if (name in overrides) continue;
        const resolved = resolve(value);
        if (resolved === undefined) unresolved.push(`${name}: ${value}`);
        else env[name] = resolved;
      }
      if (unresolved.length > 0) {
        throw new Error(
          `serverless.yml environment not resolvable offline, give the benchmark a value: ${unresolved.join(', ')}`,
        );
      }
      return { ...env, ...overrides };
    },
  };
}
