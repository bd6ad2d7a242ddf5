/** What an AutopilotError may carry besides its message. */
export interface AutopilotErrorOptions {
  /** The error this one wraps (the standard Error `cause`; left unset when undefined). */
  cause?: unknown;
  /** The fields that say what failed: taskArn, schedule, requestId, messageId... */
  context?: Record<string, unknown>;
}

/**
 * The base of every error ecs-autopilot throws on purpose: `instanceof AutopilotError` tells them from the
 * SDK's and the runtime's. Its name is the class's own, the error it wraps is its standard `cause`, and
 * `context` holds the fields that say what failed.
 *
 * The bundles are minified without keepNames, which renames classes: `new.target.name` is right in the
 * sources (tests, the sandbox) but not in a deployed bundle, so each subclass still sets its name as a
 * string (test/unit/errors.test.ts checks them in a bundle minified the same way).
 */
export class AutopilotError extends Error {
  readonly context: Readonly<Record<string, unknown>> | undefined;

  constructor(message: string, options?: AutopilotErrorOptions) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.context = options?.context;
  }
}
