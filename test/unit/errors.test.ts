import { createRequire } from 'node:module';
import { join } from 'node:path';
import { build } from 'esbuild';
import { PublishEventsError } from '../../src/adapters/events';
import { InvalidLaunchRequestError } from '../../src/app/launcher';
import { UntrustedLaunchRequestError } from '../../src/app/launchGuard';
import { DecideLaterError, LaunchNotRecordedError, TagsUnreadError } from '../../src/app/reactions';
import { LaunchLeaseBusyError } from '../../src/app/scheduledRun';
import { ServiceStateConflictError } from '../../src/app/serviceFallback';
import { InvalidEventError } from '../../src/domain/taskEvent';
import { AutopilotError } from '../../src/errors';
import { InvalidPageTokenError, ScheduleConflictError, ScheduleLimitError } from '../../src/ports';

const TASK_ARN = 'arn:aws:ecs:us-east-1:123456789012:task/prod/0123456789abcdef0123456789abcdef';

/**
 * Every error class of the product, listed by hand: one that stops extending AutopilotError, or loses its
 * name or the error it wraps, fails here. `make` builds one, wrapping `cause` where the class wraps errors.
 */
const ERRORS: { name: string; module: string; make: (cause: Error) => Error; wraps: boolean }[] = [
  {
    name: 'UntrustedLaunchRequestError',
    module: 'src/app/launchGuard',
    make: () => new UntrustedLaunchRequestError('r-1', 'not signed'),
    wraps: false,
  },
  {
    name: 'InvalidLaunchRequestError',
    module: 'src/app/launcher',
    make: (cause) => new InvalidLaunchRequestError('launch request is not JSON', { cause }),
    wraps: true,
  },
  {
    name: 'LaunchLeaseBusyError',
    module: 'src/app/scheduledRun',
    make: () => new LaunchLeaseBusyError('nightly', 'Forbid'),
    wraps: false,
  },
  {
    name: 'ServiceStateConflictError',
    module: 'src/app/serviceFallback',
    make: () => new ServiceStateConflictError('prod', 'web'),
    wraps: false,
  },
  {
    name: 'DecideLaterError',
    module: 'src/app/reactions',
    make: (cause) => new DecideLaterError('later', { cause }),
    wraps: true,
  },
  {
    name: 'TagsUnreadError',
    module: 'src/app/reactions',
    make: (cause) => new TagsUnreadError(TASK_ARN, cause),
    wraps: true,
  },
  {
    name: 'LaunchNotRecordedError',
    module: 'src/app/reactions',
    make: () => new LaunchNotRecordedError(TASK_ARN),
    wraps: false,
  },
  {
    name: 'InvalidEventError',
    module: 'src/domain/taskEvent',
    make: (cause) => new InvalidEventError('not an ECS Task State Change event', { cause }),
    wraps: true,
  },
  {
    name: 'InvalidPageTokenError',
    module: 'src/ports',
    make: (cause) => new InvalidPageTokenError({ cause }),
    wraps: true,
  },
  {
    name: 'PublishEventsError',
    module: 'src/adapters/events',
    make: (cause) => new PublishEventsError('PutEvents failed for 1 entries', { cause }),
    wraps: true,
  },
  {
    name: 'ScheduleConflictError',
    module: 'src/ports',
    make: (cause) => new ScheduleConflictError('schedule nightly changed meanwhile', { cause }),
    wraps: true,
  },
  {
    name: 'ScheduleLimitError',
    module: 'src/ports',
    make: () => new ScheduleLimitError(10),
    wraps: false,
  },
];

describe('AutopilotError', () => {
  it('is an Error named after its class, keeping the cause and the context', () => {
    const cause = new Error('socket hang up');
    const error = new AutopilotError('could not do it', { cause, context: { taskArn: TASK_ARN } });
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('AutopilotError');
    expect(error.message).toBe('could not do it');
    expect(error.cause).toBe(cause);
    expect(error.context).toEqual({ taskArn: TASK_ARN });
    expect(error.stack).toContain('could not do it');
  });

  it('names a subclass that sets no name after the subclass', () => {
    class SomethingFailedError extends AutopilotError {}
    expect(new SomethingFailedError('x').name).toBe('SomethingFailedError');
  });

  it('sets no cause when there is none', () => {
    expect('cause' in new AutopilotError('x')).toBe(false);
    expect('cause' in new AutopilotError('x', { cause: undefined, context: {} })).toBe(false);
  });

  it.each(ERRORS)(
    '$name extends it, is named after its class and keeps what it wraps',
    ({ name, make, wraps }) => {
      const cause = new SyntaxError('Unexpected token');
      const error = make(cause);
      expect(error).toBeInstanceOf(AutopilotError);
      expect(error).toBeInstanceOf(Error);
      expect(error.name).toBe(name);
      expect(error.constructor.name).toBe(name);
      expect(error.message).not.toBe('');
      if (wraps) expect(error.cause).toBe(cause);
      else expect(error.cause).toBeUndefined();
    },
  );

  it('the errors that say what failed carry it in context', () => {
    expect(new TagsUnreadError(TASK_ARN).context).toEqual({ taskArn: TASK_ARN });
    expect(new LaunchNotRecordedError(TASK_ARN).context).toEqual({ taskArn: TASK_ARN });
    expect(new LaunchLeaseBusyError('nightly', 'Replace').context).toEqual({ schedule: 'nightly' });
    expect(new ServiceStateConflictError('prod', 'web').context).toEqual({ cluster: 'prod', service: 'web' });
    expect(new UntrustedLaunchRequestError('r-1', 'why').context).toEqual({ requestId: 'r-1' });
    expect(new ScheduleLimitError(10).context).toEqual({ maxSchedules: 10 });
  });

  it('the subclasses of DecideLaterError are DecideLaterErrors (taskReactions retries those)', () => {
    expect(new TagsUnreadError(TASK_ARN)).toBeInstanceOf(DecideLaterError);
    expect(new LaunchNotRecordedError(TASK_ARN)).toBeInstanceOf(DecideLaterError);
  });

  /**
   * The functions are bundled minified and without keepNames (serverless.yml, custom.esbuild), which renames
   * classes: each error keeps its name there only because it sets it as a string. Bundled the same way here.
   */
  it('keeps every name in a bundle minified like the deployed ones', async () => {
    const root = join(__dirname, '../..');
    const modules = [...new Set(ERRORS.map((e) => e.module))];
    const entry = [
      ...modules.map((m, i) => `import * as m${i} from './${m}';`),
      `export const classes = { ${ERRORS.map((e) => `${e.name}: m${modules.indexOf(e.module)}.${e.name}`).join(', ')} };`,
    ].join('\n');
    const out = await build({
      stdin: { contents: entry, resolveDir: root, loader: 'ts' },
      bundle: true,
      minify: true,
      platform: 'node',
      format: 'cjs',
      target: 'node22',
      write: false,
      logLevel: 'silent',
    });
    const bundle = { exports: {} as { classes: Record<string, new (...args: unknown[]) => Error> } };
    new Function('module', 'exports', 'require', out.outputFiles[0]?.text ?? '')(
      bundle,
      bundle.exports,
      createRequire(join(root, 'package.json')),
    );
    const names = Object.fromEntries(
      Object.entries(bundle.exports.classes).map(([name, Class]) => [name, new Class('x', 'y').name]),
    );
    expect(names).toEqual(Object.fromEntries(ERRORS.map((e) => [e.name, e.name])));
  });
});
