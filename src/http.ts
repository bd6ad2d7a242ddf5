import type { Logger } from '@aws-lambda-powertools/logger';
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

/**
 * The log line of @middy/http-error-handler's `logger` option: a refusal (4xx) at INFO with the status and
 * the reason the caller was given, a failure (5xx) at ERROR with the error. `message` is a key the
 * Powertools Logger reserves for the line's own message (it drops it, with a warning): the reason goes in
 * `reason`.
 */
export function logHttpError(logger: Pick<Logger, 'info' | 'error'>) {
  return (error: unknown) => {
    const status = (error as { statusCode?: number }).statusCode ?? 500;
    if (status >= 500) return logger.error('request failed', { error });
    const text = error instanceof Error ? error.message : String(error);
    let body: { error?: unknown; message?: unknown } = {};
    try {
      body = JSON.parse(text);
    } catch {
      body = { message: text };
    }
    logger.info('request refused', { status, error: body.error, reason: body.message ?? text });
  };
}
