import { createError } from '@middy/util';
import type { APIGatewayProxyResultV2 } from 'aws-lambda';
import * as z from './zod';

/**
 * HTTP errors whose message is a JSON body ({ error, message }); @middy/http-error-handler shows 4xx
 * to the caller as they are and replaces anything else with the generic 500 body below.
 */
export const INTERNAL_ERROR_BODY = JSON.stringify({ error: 'InternalError', message: 'internal error' });

export function httpError(statusCode: number, error: string, message: string) {
  return createError(statusCode, JSON.stringify({ error, message }));
}

/** The query parameters of every paginated route. */
export const pageParams = {
  limit: z._default(
    z.coerce
      .number()
      .check(z.int('must be an integer'), z.gte(1, 'must be at least 1'), z.lte(100, 'must be at most 100')),
    25,
  ),
  nextToken: z.optional(z.string().check(z.maxLength(2048, 'must be at most 2048 characters'))),
};

export const badRequest = (message: string) => httpError(400, 'BadRequest', message);
export const notFound = (message: string) => httpError(404, 'NotFound', message);

/** "field: rule" for the first problem zod found, so the caller knows what to fix. */
export function describeIssues(error: z.core.$ZodError): string {
  return error.issues
    .map((issue) => `${issue.path.length ? issue.path.join('.') : '(body)'}: ${issue.message}`)
    .join('; ');
}

export function json(statusCode: number, body: unknown): APIGatewayProxyResultV2 {
  return { statusCode, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}
