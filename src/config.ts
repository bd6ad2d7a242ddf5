import * as z from './zod';

/**
 * Environment read once per cold start and validated: a missing or malformed variable fails the
 * cold start with a message naming it, instead of failing later on the first event.
 */
export function readConfig<T extends z.core.$ZodLooseShape>(shape: T, env: NodeJS.ProcessEnv = process.env) {
  const result = z.object(shape).safeParse(env);
  if (!result.success) {
    throw new Error(`invalid configuration: ${z.prettifyError(result.error).replace(/\n/g, '; ')}`);
  }
  return result.data;
}

/** A JSON-valued variable (stage parameters that are maps), parsed and validated. */
export function jsonVariable<T extends z.ZodMiniType>(schema: T) {
  return z.pipe(
    z.pipe(
      z._default(z.string(), '{}'),
      z.transform((text: string, payload) => {
        try {
          return JSON.parse(text || '{}');
        } catch {
          // zod/mini hands a transform the parse payload (no ctx.addIssue): the issue goes on its list.
          payload.issues.push({ code: 'custom', message: 'must be JSON', input: text });
          return z.NEVER;
        }
      }),
    ),
    schema,
  );
}

export const tableName = z.string().check(z.minLength(1));
export const positiveInt = z.coerce.number().check(z.int(), z.positive());
export const queueUrl = z.url();
/** EventBridge bus for the events users subscribe to. */
export const eventBusName = z._default(z.string().check(z.minLength(1)), 'default');

/** A comma-separated list (empty: none), trimmed. */
export const commaList = z.pipe(
  z._default(z.string(), ''),
  z.transform((s: string) =>
    s
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean),
  ),
);

export const spotSettings = {
  SPOT_TO_ON_DEMAND: jsonVariable(
    z.record(z.string(), z.record(z.string(), z.string().check(z.minLength(1)))),
  ),
  SPOT_FALLBACK_OPT_OUT_FAMILIES: commaList,
};

/**
 * Where the stack runs, for telling its own ARNs from others': the account and partition from the template
 * (AWS::AccountId, AWS::Partition), the Region from AWS_REGION, which Lambda sets for every function.
 */
export const stackScopeSettings = {
  STACK_ACCOUNT_ID: z.string().check(z.regex(/^\d{12}$/, 'must be a 12-digit account id')),
  STACK_PARTITION: z.string().check(z.regex(/^aws[a-z-]*$/, 'must be an AWS partition (aws, aws-cn, ...)')),
  AWS_REGION: z.string().check(z.minLength(1)),
};
export const stackScopeOf = (c: {
  STACK_ACCOUNT_ID: string;
  STACK_PARTITION: string;
  AWS_REGION: string;
}) => ({
  account: c.STACK_ACCOUNT_ID,
  partition: c.STACK_PARTITION,
  region: c.AWS_REGION,
});

/** A comma-separated allowlist, as a set. */
export const nameSet = z.pipe(
  commaList,
  z.transform((list: string[]) => new Set(list)),
);

/** STORE_OVERRIDE_VALUES (stage parameter storeOverrideValues): false keeps environment overrides by name only. */
export const storeOverrideValuesSetting = {
  STORE_OVERRIDE_VALUES: z.pipe(
    z._default(z.enum(['true', 'false']), 'true'),
    z.transform((text: 'true' | 'false') => text === 'true'),
  ),
};
