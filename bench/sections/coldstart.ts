import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { build, type Metafile } from 'esbuild';
import { type Figure, type SectionResult, vsFloor } from '../lib/report';
import { PROJECT_ROOT, readServerlessConfig } from '../lib/serverlessConfig';
import { median, summary } from '../lib/stats';

export const description =
  'bundle size and module init time of each Lambda function vs a floor bundle of the same AWS SDK clients';

const RUNS = 15;
/** The production-environment variant is information only: fewer runs keep the whole bench under 3 minutes. */
const INFO_RUNS = 7;
/** Issue 17's targets: every function within 1.20x its floor's bundle and 1.25x its init; the api within 1.30x. */
const targetsOf = (name: string) => (name === 'api' ? { size: 1.3, init: 1.3 } : { size: 1.2, init: 1.25 });

/**
 * What a function's cold start validates, beyond serverless.yml's own values: the stack's resources (CloudFormation
 * refs at deploy time) and the region the Lambda runtime sets.
 */
export const OVERRIDES: Record<string, string> = {
  TABLE_NAME: 't',
  LAUNCH_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/q',
  LAUNCH_QUEUE_ARN: 'arn:aws:sqs:us-east-1:123456789012:q',
  REACTION_RETRY_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/r',
  SCHEDULE_GROUP: 'g',
  SCHEDULER_ROLE_ARN: 'arn:aws:iam::123456789012:role/scheduler',
  STACK_ACCOUNT_ID: '123456789012',
  STACK_PARTITION: 'aws',
  AWS_REGION: 'us-east-1',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
};

const INIT_SCRIPT = (bundle: string) =>
  `const t=process.hrtime.bigint(); require(${JSON.stringify(bundle)}); ` +
  `console.log('BENCH_INIT_MS=' + Number(process.hrtime.bigint()-t)/1e6)`;

/** One cold module init: a fresh node that requires the bundle, timed around require() only. */
function initOnce(bundle: string, env: Record<string, string>, cwd: string): number {
  const child = spawnSync(process.execPath, ['-e', INIT_SCRIPT(bundle)], {
    cwd,
    env: { PATH: process.env.PATH ?? '', ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  const ms = /BENCH_INIT_MS=([0-9.]+)/.exec(child.stdout ?? '')?.[1];
  if (child.status !== 0 || ms === undefined) {
    throw new Error(
      `require(${bundle}) failed (exit ${child.status}): ${(child.stderr || child.stdout).trim()}`,
    );
  }
  return Number(ms);
}

/** `runs` inits of each, alternating (and alternating which goes first), after one discarded warm-up each. */
function alternate(fn: string, floor: string, env: Record<string, string>, cwd: string, runs: number) {
  initOnce(fn, env, cwd);
  initOnce(floor, env, cwd);
  const fnMs: number[] = [];
  const floorMs: number[] = [];
  for (let i = 0; i < runs; i++) {
    if (i % 2 === 0) {
      fnMs.push(initOnce(fn, env, cwd));
      floorMs.push(initOnce(floor, env, cwd));
    } else {
      floorMs.push(initOnce(floor, env, cwd));
      fnMs.push(initOnce(fn, env, cwd));
    }
  }
  return { fnMs, floorMs };
}

/** Median of run-by-run ratios (each function run against the floor run next to it): a check on noise. */
function pairedRatio({ fnMs, floorMs }: { fnMs: number[]; floorMs: number[] }): number {
  return Number(median(fnMs.map((ms, i) => ms / (floorMs[i] as number))).toFixed(3));
}

/** Bytes in the output per package (node_modules/<pkg>) or project folder (src/<dir>, functions, ...). */
function bytesByOrigin(metafile: Metafile): Record<string, number> {
  const output = Object.values(metafile.outputs).find((o) => o.entryPoint !== undefined);
  if (!output) throw new Error('esbuild metafile without an entry output');
  const by: Record<string, number> = {};
  for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
    const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input)?.[1];
    const origin =
      pkg ??
      input
        .split('/')
        .slice(0, input.startsWith('src/') ? 2 : 1)
        .join('/');
    by[origin] = (by[origin] ?? 0) + bytesInOutput;
  }
  return by;
}

function aboveFloor(fn: Record<string, number>, floor: Record<string, number>) {
  return Object.entries(fn)
    .map(([origin, bytes]) => ({ origin, bytes: bytes - (floor[origin] ?? 0) }))
    .filter((d) => d.bytes > 0)
    .sort((a, b) => b.bytes - a.bytes);
}

const kb = (bytes: number) => `${Math.round(bytes / 1024)} KB`;

export async function run(): Promise<SectionResult> {
  const config = readServerlessConfig();
  const work = mkdtempSync(join(tmpdir(), 'ecs-autopilot-bench-'));
  const figures: Figure[] = [];
  const notes: string[] = [];
  const details: Record<string, unknown> = {
    esbuild: config.esbuild,
    runs: RUNS,
    infoRuns: INFO_RUNS,
    node: process.version,
    functions: {},
  };
  try {
    // Every function serverless.yml declares, from its handler's file (functions/<name>/handler.ts).
    for (const { name, file } of config.functions) {
      const dir = join(work, name);
      mkdirSync(dir);

      // The function, bundled as serverless-esbuild bundles it for deployment.
      const fnOut = join(dir, 'function.js');
      const fnBuild = await build({
        ...config.esbuild,
        entryPoints: [join(PROJECT_ROOT, `${file}.ts`)],
        outfile: fnOut,
        absWorkingDir: PROJECT_ROOT,
        metafile: true,
        logLevel: 'silent',
      });

      // The floor: only the src/clients modules this function's bundle contains (the same SDK clients,
      // constructed the same way), bundled with the same options.
      const clients = Object.keys(fnBuild.metafile.inputs)
        .filter((input) => /^src\/clients\/[^/]+\.ts$/.test(input))
        .sort();
      const floorOut = join(dir, 'floor.js');
      const floorBuild = await build({
        ...config.esbuild,
        stdin: {
          contents: clients.map((c, i) => `export * as client${i} from './${c}';`).join('\n'),
          resolveDir: PROJECT_ROOT,
          sourcefile: `bench-floor-${name}.ts`,
          loader: 'ts',
        },
        outfile: floorOut,
        absWorkingDir: PROJECT_ROOT,
        metafile: true,
        logLevel: 'silent',
      });

      const fnBytes = statSync(fnOut).size;
      const floorBytes = statSync(floorOut).size;
      const over = aboveFloor(bytesByOrigin(fnBuild.metafile), bytesByOrigin(floorBuild.metafile));
      figures.push(
        vsFloor(`${name} size`, 'bytes', fnBytes, floorBytes, targetsOf(name).size, {
          mapBytes: statSync(`${fnOut}.map`).size, // written next to the bundle, not counted
          floorClients: clients,
        }),
      );

      const env = config.environment(name, OVERRIDES);
      const { NODE_OPTIONS: nodeOptions, ...plainEnv } = env;
      const plain = alternate(fnOut, floorOut, plainEnv, work, RUNS);
      figures.push(
        vsFloor(`${name} init`, 'ms', median(plain.fnMs), median(plain.floorMs), targetsOf(name).init, {
          function: summary(plain.fnMs),
          floor: summary(plain.floorMs),
          medianPairedRatio: pairedRatio(plain),
        }),
      );
      if (nodeOptions) {
        const prod = alternate(fnOut, floorOut, env, work, INFO_RUNS);
        figures.push(
          vsFloor(
            `${name} init, NODE_OPTIONS=${nodeOptions}`,
            'ms',
            median(prod.fnMs),
            median(prod.floorMs),
            null,
            {
              function: summary(prod.fnMs),
              floor: summary(prod.floorMs),
              medianPairedRatio: pairedRatio(prod),
            },
          ),
        );
      }

      (details.functions as Record<string, unknown>)[name] = {
        entry: `${file}.ts`,
        floorClients: clients,
        env: Object.keys(env).sort(),
        bytesAboveFloor: over.slice(0, 10),
      };
      notes.push(
        `${name}: ${kb(fnBytes - floorBytes)} above its floor (${clients.map((c) => basename(c, '.ts')).join(', ')}); ` +
          `largest: ${over
            .slice(0, 4)
            .map((d) => `${d.origin} ${kb(d.bytes)}`)
            .join(', ')}`,
      );
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  notes.push(
    `bundled with serverless.yml custom.esbuild (${JSON.stringify(config.esbuild)}), run on Node ${process.version}`,
    `init = require() of the bundle in a fresh node with the function's serverless.yml environment minus NODE_OPTIONS; ` +
      `median of ${RUNS}, function and floor alternating, one warm-up each discarded; ` +
      `"NODE_OPTIONS=..." rows: the deployed environment as is (median of ${INFO_RUNS}, information only)`,
  );
  return { figures, details, notes };
}
