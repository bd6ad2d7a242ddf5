import type { Logger } from '@aws-lambda-powertools/logger';
import { createError } from '@middy/util';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from 'aws-lambda';
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
      .check(
        z.int('must be an integer'),
        z.gte(1, 'must be at least 1'),
        z.lte(100, 'must be at most 100'),
        z.describe('Items per page.'),
      ),
    25,
  ),
  nextToken: z.optional(
    z
      .string()
      .check(
        z.maxLength(2048, 'must be at most 2048 characters'),
        z.describe('The nextToken of the previous page.'),
      ),
  ),
};

export const badRequest = (message: string) => httpError(400, 'BadRequest', message);
export const notFound = (message: string) => httpError(404, 'NotFound', message);

const ZOD_DEFAULT_MESSAGE = /^(?:Invalid|Too (?:big|small)|Unrecognized key)/;

interface LooseIssue {
  code: string;
  message: string;
  path: PropertyKey[];
  expected?: string;
  origin?: string;
  minimum?: number | bigint;
  maximum?: number | bigint;
  inclusive?: boolean;
  exact?: boolean;
  values?: unknown[];
  format?: string;
  pattern?: string;
  divisor?: number;
  keys?: string[];
  errors?: LooseIssue[][];
}

const UNITS: Record<string, string> = { string: 'characters', array: 'items', set: 'items', map: 'entries' };

/** A rule for an issue that still carries zod's generic English message (schemas not written here). */
function ruleFromIssue(issue: LooseIssue): string {
  if (!ZOD_DEFAULT_MESSAGE.test(issue.message)) return issue.message;
  const unit = issue.origin ? UNITS[issue.origin] : undefined;
  switch (issue.code) {
    case 'invalid_type':
      if (issue.message.endsWith('received undefined')) return 'is required';
      return `must be ${/^[aeio]/.test(issue.expected ?? '') ? 'an' : 'a'} ${issue.expected === 'int' ? 'integer' : issue.expected}`;
    case 'too_small':
      return unit
        ? `must have at least ${issue.minimum} ${unit}`
        : `must be ${issue.inclusive === false ? 'greater than' : 'at least'} ${issue.minimum}`;
    case 'too_big':
      return unit
        ? `must have at most ${issue.maximum} ${unit}`
        : `must be ${issue.inclusive === false ? 'less than' : 'at most'} ${issue.maximum}`;
    case 'invalid_value':
      return `must be ${issue.values?.length === 1 ? '' : 'one of '}${(issue.values ?? []).map((v) => JSON.stringify(v)).join(', ')}`;
    case 'invalid_format':
      return issue.pattern ? `must match ${issue.pattern}` : `must be a valid ${issue.format}`;
    case 'not_multiple_of':
      return `must be a multiple of ${issue.divisor}`;
    case 'invalid_union': {
      const branches = (issue.errors ?? [])
        .map((branch) => branch[0])
        .filter((first): first is LooseIssue => first !== undefined)
        .map(ruleFromIssue);
      return branches.length ? [...new Set(branches)].join(', or ') : 'matches none of the allowed forms';
    }
    case 'invalid_key':
      return 'has a key that is not allowed';
    case 'invalid_element':
      return 'has a value that is not allowed';
    default:
      return 'is not valid';
  }
}

/**
 * "field.path: rule" for each problem, joined by "; " (an unknown field is named in its own path, with the
 * same words wherever it is). `root` names the input itself when the problem is with it as a whole: the
 * path parameter's name, or (body) / (query).
 */
export function describeIssues(error: z.core.$ZodError, root = '(body)'): string {
  const parts: string[] = [];
  for (const issue of error.issues as LooseIssue[]) {
    const at = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys ?? []) parts.push(`${at ? `${at}.` : ''}${key}: is not a known field`);
      continue;
    }
    parts.push(`${at || root}: ${ruleFromIssue(issue)}`);
  }
  return [...new Set(parts)].join('; ');
}

/** The part of a request an input comes from, as the error message names it. */
export type RequestPart = 'body' | 'query' | { pathParameter: string };

/** `input` parsed by `schema`, or a 400 naming the part, each field and its rule. */
export function parseRequest<T extends z.ZodMiniType>(
  schema: T,
  input: unknown,
  part: RequestPart,
): z.output<T> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const [kind, root] =
    typeof part === 'string' ? [part, `(${part})`] : ['path parameter', part.pathParameter];
  throw badRequest(`invalid ${kind}: ${describeIssues(result.error, root)}`);
}

export function json(
  statusCode: number,
  body: unknown,
  headers: Record<string, string> = {},
): APIGatewayProxyResultV2 {
  return {
    statusCode,
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  };
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

/** The caller's IAM principal (HTTP API with AWS_IAM authorization), recorded on schedules and runs. */
export function callerOf(event: APIGatewayProxyEventV2): string {
  const ctx = event.requestContext as { authorizer?: { iam?: { userArn?: string } } } | undefined;
  return ctx?.authorizer?.iam?.userArn ?? 'anonymous';
}
