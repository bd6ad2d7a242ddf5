/**
 * The OpenAPI document as a contract: every response a test gets from the API must be one the document
 * describes for its route and status, body included (validated with Ajv against the document's own JSON
 * Schemas, which are strict: a field the document does not name fails). Wrapping a test's `call` in
 * `documented` turns every API test into a check that the document and the code agree.
 */

import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { buildOpenApiDocument } from '../../src/openapi';

interface Operation {
  responses: Record<string, { $ref?: string; content?: Record<string, unknown> }>;
}
interface Document {
  paths: Record<string, Record<string, Operation | unknown>>;
  components: { responses: Record<string, { content?: Record<string, unknown> }> };
}

const doc = buildOpenApiDocument() as Document;
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
ajv.addSchema(doc, 'openapi');
const pointer = (...parts: string[]) =>
  parts.map((p) => p.replace(/~/g, '~0').replace(/\//g, '~1')).join('/');

/** The routes the document describes, as API Gateway route keys ("GET /tasks/{taskId}"). */
export function documentedRoutes(): string[] {
  return Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.keys(item)
      .filter((key) => key !== 'parameters')
      .map((method) => `${method.toUpperCase()} ${path}`),
  );
}

/** Throws unless the document describes this response of this route (status, and body when it has one). */
export function expectDocumented(routeKey: string, response: APIGatewayProxyStructuredResultV2): void {
  const [method = '', path = ''] = routeKey.split(' ');
  const operation = doc.paths[path]?.[method.toLowerCase()] as Operation | undefined;
  if (!operation) throw new Error(`the OpenAPI document has no route ${routeKey}`);
  const status = String(response.statusCode);
  let described = operation.responses[status];
  let at = pointer('paths', path, method.toLowerCase(), 'responses', status);
  if (!described) {
    throw new Error(`the OpenAPI document has no ${status} response for ${routeKey}: ${response.body}`);
  }
  if (described.$ref) {
    const name = described.$ref.replace('#/components/responses/', '');
    described = doc.components.responses[name] ?? {};
    at = pointer('components', 'responses', name);
  }
  const hasSchema = described.content?.['application/json'] !== undefined;
  if (!hasSchema) {
    if (response.body) throw new Error(`${routeKey} ${status} has a body the document does not describe`);
    return;
  }
  const validate = ajv.getSchema(`openapi#/${at}/${pointer('content', 'application/json', 'schema')}`);
  if (!validate) throw new Error(`no schema at ${at}`);
  const body = JSON.parse(response.body ?? 'null');
  if (!validate(body)) {
    throw new Error(
      `${routeKey} ${status} answered what the OpenAPI document does not describe: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(body).slice(0, 2000)}`,
    );
  }
}

/** `call` with every response checked against the document. */
export function documented<A extends unknown[]>(
  call: (routeKey: string, ...rest: A) => Promise<APIGatewayProxyStructuredResultV2>,
) {
  return async (routeKey: string, ...rest: A) => {
    const response = await call(routeKey, ...rest);
    expectDocumented(routeKey, response);
    return response;
  };
}
