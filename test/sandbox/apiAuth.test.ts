/** The sandbox HTTP API's SigV4 check: what API Gateway accepts (AWS_IAM) passes, the rest is a 403. */
import type { IncomingHttpHeaders } from 'node:http';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { SANDBOX_CALLER, verifyRequest } from '../../local/apiAuth';

const NOW = Date.parse('2026-05-14T09:12:47Z');

async function signed(
  options: { secret?: string; service?: string; body?: string; path?: string; date?: number } = {},
): Promise<{ method: string; url: string; headers: IncomingHttpHeaders; body: Buffer }> {
  const signer = new SignatureV4({
    service: options.service ?? 'execute-api',
    region: 'us-east-1',
    sha256: Sha256,
    credentials: { accessKeyId: 'sandbox', secretAccessKey: options.secret ?? 'sandbox' },
  });
  const body = options.body;
  const request = await signer.sign(
    {
      method: body ? 'POST' : 'GET',
      protocol: 'http:',
      hostname: '127.0.0.1',
      port: 3000,
      path: options.path ?? '/tasks',
      query: { cluster: 'sandbox', since: '2024-05-14T00:00:00Z' },
      headers: { host: '127.0.0.1:3000', 'content-type': 'application/json' },
      body,
    },
    { signingDate: new Date(options.date ?? NOW) },
  );
  return {
    method: request.method,
    url: `${options.path ?? '/tasks'}?cluster=sandbox&since=2024-05-14T00%3A00%3A00Z`,
    headers: request.headers,
    body: Buffer.from(body ?? ''),
  };
}

const verify = (request: Awaited<ReturnType<typeof signed>>, now = NOW) =>
  verifyRequest(request, SANDBOX_CALLER, 'us-east-1', now);

describe('the sandbox API signature check', () => {
  it('accepts a request the SDK signed with the sandbox credentials, and names its IAM user', async () => {
    await expect(verify(await signed())).resolves.toEqual({ ok: true, caller: SANDBOX_CALLER });
    await expect(verify(await signed({ body: '{"name":"x"}' }))).resolves.toMatchObject({ ok: true });
  });

  it('refuses an unsigned request as API Gateway does (403 Forbidden)', async () => {
    const request = await signed();
    delete request.headers.authorization;
    await expect(verify(request)).resolves.toEqual({
      ok: false,
      errorType: 'ForbiddenException',
      message: 'Forbidden',
    });
  });

  it('refuses a wrong secret, another service, a changed path or body, and a stale date', async () => {
    const mismatch = { ok: false, errorType: 'InvalidSignatureException' };
    await expect(verify(await signed({ secret: 'guess' }))).resolves.toMatchObject(mismatch);
    await expect(verify(await signed({ service: 's3' }))).resolves.toMatchObject({
      message: "Credential should be scoped to correct service: 'execute-api'.",
    });
    const moved = await signed();
    moved.url = moved.url.replace('/tasks', '/schedules');
    await expect(verify(moved)).resolves.toMatchObject(mismatch);
    const tampered = await signed({ body: '{"count":1}' });
    tampered.body = Buffer.from('{"count":9}');
    await expect(verify(tampered)).resolves.toMatchObject(mismatch);
    await expect(verify(await signed({ date: NOW - 6 * 60_000 }))).resolves.toMatchObject({
      ok: false,
      message: expect.stringMatching(/^Signature expired/),
    });
  });

  it('refuses an access key it does not know', async () => {
    const request = await signed();
    request.headers.authorization = String(request.headers.authorization).replace('sandbox/', 'AKIAOTHER/');
    await expect(verify(request)).resolves.toMatchObject({
      errorType: 'UnrecognizedClientException',
    });
  });
});
