/**
 * HTTP requests to an API Gateway API with AWS_IAM authorization: signed with SigV4 for `execute-api` by
 * the AWS SDK's own signer (@smithy/signature-v4, the one every SDK client uses), then sent with fetch.
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-access-control-iam.html
 */
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';

export interface SigningOptions {
  credentials: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  region: string;
}

export interface SignedRequest {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
}

/** `fetch(url)`, signed for execute-api in `region` with `credentials`. */
export async function signedFetch(
  url: string,
  request: SignedRequest,
  options: SigningOptions,
): Promise<Response> {
  const target = new URL(url);
  const query: Record<string, string | string[]> = {};
  for (const [name, value] of target.searchParams) {
    const seen = query[name];
    query[name] = seen === undefined ? value : [seen, value].flat();
  }
  const signer = new SignatureV4({
    service: 'execute-api',
    region: options.region,
    credentials: options.credentials,
    sha256: Sha256,
  });
  const method = request.method ?? 'GET';
  const signed = await signer.sign({
    method,
    protocol: target.protocol,
    hostname: target.hostname,
    port: target.port ? Number(target.port) : undefined,
    path: target.pathname,
    query,
    // `host` is signed as fetch will send it (the port only when it is not the scheme's default).
    headers: { host: target.host, ...lowerCased(request.headers ?? {}) },
    body: request.body,
  });
  const { host: _host, ...headers } = signed.headers as Record<string, string>;
  return fetch(url, { method, headers, body: request.body });
}

function lowerCased(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
}
