import { z } from 'zod';

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

export const tableName = z.string().min(1);
export const positiveInt = z.coerce.number().int().positive();
