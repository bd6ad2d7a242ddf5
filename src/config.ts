// zod/v4 as a namespace (everywhere here): esbuild drops what is unused, 85 KB bundled instead of 454 KB.
import * as z from 'zod/v4';
import { networkConfigurationSchema } from './domain/launchRequest';
import { partialRestartPolicySchema } from './domain/restartPolicy';

/**
 * Environment read once per cold start and validated: a missing or malformed variable fails the
 * cold start with a message naming it, instead of failing later on the first event.
 */
export function readConfig<T extends z.ZodRawShape>(shape: T, env: NodeJS.ProcessEnv = process.env) {
  const result = z.object(shape).safeParse(env);
  if (!result.success) {
    throw new Error(`invalid configuration: ${z.prettifyError(result.error).replace(/\n/g, '; ')}`);
  }
  return result.data;
}

/** A JSON-valued variable (stage parameters that are maps), parsed and validated. */
export function jsonVariable<T extends z.ZodType>(schema: T) {
  return z
    .string()
    .default('{}')
    .transform((text, ctx) => {
      try {
        return JSON.parse(text || '{}');
      } catch {
        ctx.addIssue({ code: 'custom', message: 'must be JSON' });
        return z.NEVER;
      }
    })
    .pipe(schema);
}

export const tableName = z.string().min(1);
export const positiveInt = z.coerce.number().int().positive();
export const queueUrl = z.url();

const partialPolicy = partialRestartPolicySchema;
/** A comma-separated list (empty: none), trimmed. */
export const commaList = z
  .string()
  .default('')
  .transform((s) =>
    s
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean),
  );

export const spotSettings = {
  SPOT_TO_ON_DEMAND: jsonVariable(z.record(z.string(), z.record(z.string(), z.string().min(1)))),
  SPOT_FALLBACK_OPT_OUT_FAMILIES: commaList,
};

export const restartSettings = {
  RESTART_MAX_ATTEMPTS: z.coerce.number().int().min(0).max(10).default(3),
  RESTART_FAMILY_POLICIES: jsonVariable(z.record(z.string(), partialPolicy)),
  NETWORK_DEFAULTS: jsonVariable(z.record(z.string(), networkConfigurationSchema)),
};
