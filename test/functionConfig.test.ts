/**
 * What each function's code reads from its environment is what the packaged stack gives it.
 *
 * A function reads its settings once per cold start through readConfig (src/config.ts); a setting with a
 * default is silently defaulted when the template forgets it, which is how spotInstance once ran the restart
 * and Spot fallback code without NETWORK_DEFAULTS. This loads every function's module the way Lambda does
 * (its whole import graph, composition roots included), records every variable its readConfig calls name,
 * and checks each against the function's Environment.Variables in the template. Each function declares its
 * settings in one schema beside its composition root (functions/<name>/config.ts): the checks tie that schema
 * to the code (what it reads) and to the template (what it is given), both ways.
 */
import { OVERRIDES } from '../bench/sections/coldstart';
import { type CfnTemplate, loadTemplate, resourcesOfType } from '../local/template';

let template: CfnTemplate;
beforeAll(() => {
  template = loadTemplate();
});

interface PackagedFunction {
  name: string;
  module: string;
  variables: Record<string, unknown>;
}

function packagedFunctions(): PackagedFunction[] {
  return resourcesOfType(template, 'AWS::Lambda::Function').map(([, fn]) => {
    const handler = String(fn.Properties?.Handler);
    return {
      name: String(fn.Properties?.FunctionName),
      module: `../${handler.replace(/\.[^./]+$/, '')}`,
      variables: fn.Properties?.Environment?.Variables ?? {},
    };
  });
}

/** Loads `modulePath` in a fresh module registry; returns the variable names its readConfig calls asked for. */
function variablesRead(modulePath: string, env: Record<string, string>): string[] {
  const read = new Set<string>();
  jest.isolateModules(() => {
    jest.doMock('../src/config', () => {
      const actual = jest.requireActual('../src/config');
      return {
        ...actual,
        readConfig: (shape: Record<string, unknown>) => {
          for (const key of Object.keys(shape)) read.add(key);
          return actual.readConfig(shape, env);
        },
      };
    });
    require(modulePath);
  });
  return [...read].sort();
}

/** The template's values where they are plain strings; stack references (Ref, GetAtt) get the benchmark's stand-ins. */
function envOf(fn: PackagedFunction): Record<string, string> {
  const env: Record<string, string> = { ...OVERRIDES };
  for (const [key, value] of Object.entries(fn.variables)) {
    if (typeof value === 'string' || typeof value === 'number') env[key] = String(value);
  }
  return env;
}

/** Variables Lambda sets for every function ("Defined runtime environment variables", AWS Lambda guide). */
const LAMBDA_SETS = new Set(['AWS_REGION']);

/**
 * Variables the template gives every function for the libraries and the runtime, not for our code: Powertools'
 * logger and metrics (POWERTOOLS_SERVICE_NAME, POWERTOOLS_METRICS_NAMESPACE, POWERTOOLS_LOG_LEVEL) and Node's
 * NODE_OPTIONS.
 */
const READ_BY_LIBRARIES = new Set([
  'POWERTOOLS_SERVICE_NAME',
  'POWERTOOLS_METRICS_NAMESPACE',
  'POWERTOOLS_LOG_LEVEL',
  'NODE_OPTIONS',
]);

const FUNCTIONS = [
  'taskEvents',
  'taskReactions',
  'spotInstance',
  'serviceEvents',
  'launcher',
  'api',
] as const;

type Schema = Record<string, { _zod: { optin?: string } }>;

/** The function's declared settings (functions/<name>/config.ts): all of them, and those without a default. */
function declared(name: string): { all: string[]; required: string[] } {
  let configSchema: Schema = {};
  // In a registry of its own, as variablesRead loads the function: a module cached here would be shared.
  jest.isolateModules(() => {
    ({ configSchema } = require(`../functions/${name}/config`) as { configSchema: Schema });
  });
  const all = Object.keys(configSchema).sort();
  return { all, required: all.filter((key) => configSchema[key]?._zod.optin === undefined) };
}

describe('every function', () => {
  it('is packaged (the checks below cover them all)', () => {
    expect(packagedFunctions().map((f) => f.name.replace(/^ecs-autopilot-dev-/, ''))).toEqual(
      expect.arrayContaining([...FUNCTIONS]),
    );
  });

  for (const name of FUNCTIONS) {
    describe(name, () => {
      const fn = () => {
        const found = packagedFunctions().find((f) => f.name.endsWith(`-${name}`));
        if (!found) throw new Error(`no packaged function ${name}`);
        return found;
      };

      it('reads its settings through its own config schema, and nothing else', () => {
        const read = variablesRead(fn().module, envOf(fn()));
        expect(read).toEqual(declared(name).all);
      });

      it('gets from the template every setting its schema declares (a default too: stages set them all)', () => {
        const given = fn().variables;
        const { all, required } = declared(name);
        expect(required.length).toBeGreaterThan(0);
        const missing = all.filter((key) => !(key in given) && !LAMBDA_SETS.has(key));
        expect({ function: name, missing }).toEqual({ function: name, missing: [] });
      });

      it('gets nothing from the template that neither its code nor its libraries read', () => {
        const { all } = declared(name);
        const unread = Object.keys(fn().variables).filter(
          (key) => !all.includes(key) && !READ_BY_LIBRARIES.has(key),
        );
        expect({ function: name, unread }).toEqual({ function: name, unread: [] });
      });
    });
  }
});
