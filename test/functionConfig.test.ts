/**
 * What each function's code reads from its environment is what the packaged stack gives it.
 *
 * A function reads its settings once per cold start through readConfig (src/config.ts); a setting with a
 * default is silently defaulted when the template forgets it, which is how spotInstance once ran the restart
 * and Spot fallback code without NETWORK_DEFAULTS. This loads every function's module the way Lambda does
 * (its whole import graph, composition roots included), records every variable its readConfig calls name,
 * and checks each against the function's Environment.Variables in the template.
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

const FUNCTIONS = [
  'taskEvents',
  'taskReactions',
  'spotInstance',
  'serviceEvents',
  'launcher',
  'api',
] as const;

describe('every function', () => {
  it('is packaged (the checks below cover them all)', () => {
    expect(packagedFunctions().map((f) => f.name.replace(/^ecs-autopilot-dev-/, ''))).toEqual(
      expect.arrayContaining([...FUNCTIONS]),
    );
  });

  for (const name of FUNCTIONS) {
    it(`${name} gets from the template every setting its code reads`, () => {
      const fn = packagedFunctions().find((f) => f.name.endsWith(`-${name}`));
      if (!fn) throw new Error(`no packaged function ${name}`);
      const read = variablesRead(fn.module, envOf(fn));
      expect(read.length).toBeGreaterThan(0);
      const missing = read.filter((key) => !(key in fn.variables) && !LAMBDA_SETS.has(key));
      expect({ function: name, missing }).toEqual({ function: name, missing: [] });
    });
  }
});
