import { InvalidPageTokenError } from '../ports';

/**
 * Page tokens: a query's LastEvaluatedKey, base64url-encoded. A token is accepted back only if it has
 * exactly the key attributes of that query, as strings, within the partition being read; anything else
 * (crafted, from another query) is the caller's error (400), never a DynamoDB ValidationException (500).
 */
export function encodePageToken(key: Record<string, unknown> | undefined): string | undefined {
  return key ? Buffer.from(JSON.stringify(key)).toString('base64url') : undefined;
}

export function decodePageToken(
  token: string | undefined,
  keyAttributes: readonly string[],
  partition: Record<string, string>,
): Record<string, string> | undefined {
  if (token === undefined) return undefined;
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch (error) {
    throw new InvalidPageTokenError({ cause: error });
  }
  const fits =
    typeof key === 'object' &&
    key !== null &&
    !Array.isArray(key) &&
    Object.keys(key).length === keyAttributes.length &&
    keyAttributes.every((name) => {
      const value = (key as Record<string, unknown>)[name];
      return typeof value === 'string' && value.length > 0 && value.length <= 1024;
    }) &&
    Object.entries(partition).every(([name, value]) => (key as Record<string, unknown>)[name] === value);
  if (!fits) throw new InvalidPageTokenError();
  return key as Record<string, string>;
}
