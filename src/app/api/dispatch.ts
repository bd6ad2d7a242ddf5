import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from 'aws-lambda';
import { redactEnvironmentValues } from '../../domain/secrets';
import { badRequest, httpError, parseRequest } from '../../http';
import { ROUTES, type RouteHandlers, type RouteInput, type RouteKey, type RouteSpec } from './routes';

export const MAX_BODY_BYTES = 64 * 1024;

/** The body as JSON: 413 over MAX_BODY_BYTES, 400 when empty or not JSON. */
function readBody(event: APIGatewayProxyEventV2): unknown {
  const raw = event.body ?? '';
  const text = event.isBase64Encoded ? Buffer.from(raw, 'base64').toString('utf8') : raw;
  if (Buffer.byteLength(text) > MAX_BODY_BYTES) {
    throw httpError(413, 'PayloadTooLarge', `body is larger than ${MAX_BODY_BYTES} bytes`);
  }
  if (!text.trim()) throw badRequest('invalid body: (body): is required (a JSON object)');
  try {
    return JSON.parse(text);
  } catch {
    throw badRequest('invalid body: (body): must be valid JSON');
  }
}

/**
 * Every answer of the API goes out with environment override values redacted (schedules, launch records,
 * decisions): one place, so no route can forget it.
 */
function withoutSecrets(result: APIGatewayProxyResultV2): APIGatewayProxyResultV2 {
  if (typeof result !== 'object' || typeof result.body !== 'string' || !result.body.includes('"environment"'))
    return result;
  return { ...result, body: JSON.stringify(redactEnvironmentValues(JSON.parse(result.body))) };
}

/** A route's inputs, parsed by its schemas: path parameters, then the query, then the body. */
function inputsOf(spec: RouteSpec, event: APIGatewayProxyEventV2) {
  const path: Record<string, string> = {};
  for (const [name, parameter] of Object.entries(spec.path ?? {})) {
    path[name] = parseRequest(parameter.schema, event.pathParameters?.[name], { pathParameter: name });
  }
  const query = spec.query ? parseRequest(spec.query, event.queryStringParameters ?? {}, 'query') : undefined;
  const rawBody = spec.body ? readBody(event) : undefined;
  const body = spec.body ? parseRequest(spec.body.schema, rawBody, 'body') : undefined;
  return { path, query, body, rawBody, event };
}

/** The API function's dispatch: the route of the event's route key, its inputs parsed, its answer redacted. */
export function buildApiDispatch(handlers: RouteHandlers) {
  const handle = async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyResultV2> => {
    const key = event.routeKey as RouteKey;
    const spec: RouteSpec | undefined = Object.hasOwn(ROUTES, key) ? ROUTES[key] : undefined;
    if (!spec) throw httpError(404, 'NotFound', `no route ${event.routeKey}`);
    const route = handlers[key] as (input: RouteInput<RouteKey>) => Promise<APIGatewayProxyResultV2>;
    return withoutSecrets(await route(inputsOf(spec, event) as RouteInput<RouteKey>));
  };
  // The route keys it serves, for the check that serverless.yml and the OpenAPI document list the same.
  return Object.assign(handle, { routeKeys: Object.keys(handlers) });
}
