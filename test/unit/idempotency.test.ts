import { bodyHash, idempotencyDigest, idempotencyKeyProblem } from '../../src/domain/idempotency';

const ALICE = 'arn:aws:iam::111122223333:user/alice';
const BOB = 'arn:aws:iam::111122223333:user/bob';

describe('idempotencyDigest', () => {
  it('stays what it was: a changed derivation would launch a retry across a deploy a second time', () => {
    // SHA-256 of ["<principal>","<key>"] as JSON, base64url, first 32 characters.
    expect(idempotencyDigest(ALICE, 'job-1')).toBe('oHMNwPA46P7N9-nKm0CIXQO39tDfI54U');
  });

  it('differs by principal and by key, and keeps the two apart', () => {
    const digests = [
      idempotencyDigest(ALICE, 'job-1'),
      idempotencyDigest(BOB, 'job-1'),
      idempotencyDigest(ALICE, 'job-2'),
      idempotencyDigest(`${ALICE}job-1`, ''),
      idempotencyDigest(ALICE.slice(0, -1), `e${'job-1'}`),
    ];
    expect(new Set(digests).size).toBe(digests.length);
  });
});

describe('idempotencyKeyProblem', () => {
  it.each(['a', '550e8400-e29b-41d4-a716-446655440000', '!~', 'k'.repeat(128)])('accepts %s', (key) => {
    expect(idempotencyKeyProblem(key)).toBeUndefined();
  });

  it.each([
    ['k'.repeat(129), 'got 129 characters'],
    ['', 'got 0 characters'],
    ['a b', 'got 3 characters, some outside that range'],
    ['é', 'got 1 characters, some outside that range'],
    ['tab\t', 'got 4 characters, some outside that range'],
  ])('refuses %j', (key, got) => {
    expect(idempotencyKeyProblem(key)).toBe(
      `must be 1 to 128 printable ASCII characters without spaces (33-126), e.g. a UUID; ${got}`,
    );
  });
});

describe('bodyHash', () => {
  it('is the same for the same body in another key order, nested objects too', () => {
    expect(bodyHash({ cluster: 'batch', overrides: { cpu: '256', memory: '512' } })).toBe(
      bodyHash({ overrides: { memory: '512', cpu: '256' }, cluster: 'batch' }),
    );
  });

  it('differs for another value or another order of a list', () => {
    const tags = [
      { key: 'a', value: '1' },
      { key: 'b', value: '2' },
    ];
    const hash = bodyHash({ count: 1, tags });
    expect(bodyHash({ count: 2, tags })).not.toBe(hash);
    expect(bodyHash({ count: 1, tags: [...tags].reverse() })).not.toBe(hash);
  });
});
