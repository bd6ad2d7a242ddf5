/**
 * The AWS query protocol (awsQuery), as CloudFormation and SNS speak it: a form-encoded POST with `Action`
 * and `Version`, flattened members (`Tags.member.1.Key`), an XML answer `<ActionResponse><ActionResult>`
 * with lists as `<member>` elements, and errors as `<ErrorResponse><Error><Type/><Code/><Message/>`
 * (https://smithy.io/2.0/aws/protocols/aws-query-protocol.html).
 */
import { randomUUID } from 'node:crypto';
import { AwsError } from './core';

/** The form body as a flat map (`Attributes.entry.1.key` stays one key). */
export function parseQueryBody(raw: string): Record<string, string> {
  return Object.fromEntries(new URLSearchParams(raw));
}

const escapeXml = (text: string) =>
  text.replace(
    /[<>&'"]/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c] ?? c,
  );

/** A value as awsQuery XML: objects become elements, arrays `<member>` lists; undefined members are left out. */
export function toXml(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (Array.isArray(value)) return value.map((item) => `<member>${toXml(item)}</member>`).join('');
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'object') {
    return Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .map(([name, v]) => `<${name}>${toXml(v)}</${name}>`)
      .join('');
  }
  return escapeXml(String(value));
}

export interface QueryAnswer {
  status: number;
  body: string;
}

/** `<{Action}Response xmlns><{Action}Result>…</{Action}Result><ResponseMetadata>` */
export function queryResponse(action: string, namespace: string, result: unknown): QueryAnswer {
  const inner = result === undefined ? '' : `<${action}Result>${toXml(result)}</${action}Result>`;
  return {
    status: 200,
    body: `<?xml version="1.0" encoding="UTF-8"?>\n<${action}Response xmlns="${namespace}">${inner}<ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></${action}Response>`,
  };
}

export function queryError(error: unknown, namespace: string): QueryAnswer {
  const aws =
    error instanceof AwsError ? error : new AwsError('InternalFailure', 'internal sandbox error', 500);
  if (!(error instanceof AwsError)) console.error('[sandbox] internal error', error);
  const type = aws.status >= 500 ? 'Receiver' : 'Sender';
  return {
    status: aws.status,
    body: `<?xml version="1.0" encoding="UTF-8"?>\n<ErrorResponse xmlns="${namespace}"><Error><Type>${type}</Type><Code>${escapeXml(aws.code)}</Code><Message>${escapeXml(aws.message)}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`,
  };
}

/** An awsQuery service: its XML namespace and its actions over the parsed form. */
export interface QueryService {
  namespace: string;
  handle(action: string, input: Record<string, string>): unknown | Promise<unknown>;
}

export async function answerQuery(service: QueryService, raw: string): Promise<QueryAnswer> {
  const input = parseQueryBody(raw);
  const action = input.Action;
  try {
    if (!action) throw new AwsError('MissingAction', 'the request names no Action');
    return queryResponse(action, service.namespace, await service.handle(action, input));
  } catch (error) {
    return queryError(error, service.namespace);
  }
}
