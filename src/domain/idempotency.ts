/**
 * The Idempotency-Key of POST /tasks and POST /schedules/{name}/runs (after the IETF draft "The
 * Idempotency-Key HTTP Header Field", draft-ietf-httpapi-idempotency-key-header): scoped to the caller's IAM
 * principal, and bound to what the request asks for, so a key reused by someone else, or with another body,
 * never answers with a launch that is not theirs.
 */
import { createHash } from 'node:crypto';
import { canonicalJson } from './canonicalJson';

/**
 * 1 to 128 characters of printable ASCII without spaces (33-126, the characters of RunTask's clientToken):
 * room for a UUID, a ULID or a job name with a date and a counter. Only a digest is stored, so a longer key
 * would cost nothing, but it is refused rather than cut: two long keys cut to one prefix collided.
 */
export const IDEMPOTENCY_KEY_MAX = 128;
const KEY = new RegExp(`^[\\x21-\\x7e]{1,${IDEMPOTENCY_KEY_MAX}}$`);

/** The rule `key` breaks, or undefined. */
export function idempotencyKeyProblem(key: string): string | undefined {
  if (KEY.test(key)) return undefined;
  return `must be 1 to ${IDEMPOTENCY_KEY_MAX} printable ASCII characters without spaces (33-126), e.g. a UUID; got ${key.length} characters${/[^\x21-\x7e]/.test(key) ? ', some outside that range' : ''}`;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('base64url');

/**
 * A request's id for the key `key` of `principal`: 32 base64url characters (192 bits) of SHA-256 over both,
 * so the same key from two principals names two launches, and `t-` plus the digest (and a capacity retry's
 * `~cN`) stays within RunTask's 64-character clientToken, which the launcher derives from the request id.
 */
export function idempotencyDigest(principal: string, key: string): string {
  return sha256(JSON.stringify([principal, key])).slice(0, 32);
}

/**
 * The SHA-256 (base64url) of a request body as parsed (defaults filled in), with its object keys in order:
 * two requests for the same launch hash alike however their JSON was laid out.
 */
export function bodyHash(body: unknown): string {
  return sha256(canonicalJson(body));
}
