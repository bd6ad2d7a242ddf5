/**
 * The sandbox HTTP API's AWS_IAM authorization: a proxy in front of serverless-offline that checks each
 * request's SigV4 signature (service execute-api) against the sandbox credentials, as API Gateway does
 * for a route with `authorizer: { type: aws_iam }`, and answers 403 to an unsigned or badly signed one.
 * A request that passes goes on with the caller's principal in serverless-offline's
 * `sls-offline-authorizer-override` header, which becomes `requestContext.authorizer` of the Lambda event
 * (serverless-offline src/events/http/lambda-events/LambdaProxyIntegrationEventV2.js), shaped as API
 * Gateway fills it for IAM callers: `authorizer.iam.{accessKey, accountId, callerId, userArn, userId, ...}`
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html).
 *
 * The signature is computed again with the AWS SDK's own signer over the headers the caller signed and
 * compared; nothing here implements SigV4 itself.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import {
  Agent,
  createServer,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { ACCOUNT_ID } from './core';

/** Who may call: the sandbox's one IAM user (the credentials `npm start` prints). */
export interface ApiCaller {
  accessKeyId: string;
  secretAccessKey: string;
  userArn: string;
  userId: string;
}

export const SANDBOX_CALLER: ApiCaller = {
  accessKeyId: 'sandbox',
  secretAccessKey: 'sandbox',
  userArn: `arn:aws:iam::${ACCOUNT_ID}:user/sandbox`,
  userId: 'AIDASANDBOXUSER0000001',
};

/** serverless-offline reads this header as the event's requestContext.authorizer. */
export const AUTHORIZER_OVERRIDE_HEADER = 'sls-offline-authorizer-override';

/** How far a request's X-Amz-Date may be from now: 5 minutes, as AWS allows. */
const MAX_CLOCK_SKEW_MS = 5 * 60_000;

export type Verdict = { ok: true; caller: ApiCaller } | { ok: false; errorType: string; message: string };

const refuse = (errorType: string, message: string): Verdict => ({ ok: false, errorType, message });

const AUTHORIZATION =
  /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/;

/** `20240514T091247Z` as a Date. */
function parseAmzDate(text: string): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s] = m.map(Number) as number[];
  return new Date(Date.UTC(y ?? 0, (mo ?? 1) - 1, d, h, mi, s));
}

const header = (headers: IncomingHttpHeaders, name: string) => {
  const value = headers[name];
  return Array.isArray(value) ? value.join(',') : value;
};

/** The query string as the signer takes it: decoded names and values, repeated names as arrays. */
function queryOf(search: URLSearchParams): Record<string, string | string[]> {
  const query: Record<string, string | string[]> = {};
  for (const [name, value] of search) {
    const seen = query[name];
    query[name] = seen === undefined ? value : [seen, value].flat();
  }
  return query;
}

/** Whether the request carries a valid SigV4 signature of `caller` for execute-api in `region`. */
export async function verifyRequest(
  request: { method: string; url: string; headers: IncomingHttpHeaders; body: Buffer },
  caller: ApiCaller,
  region: string,
  now = Date.now(),
): Promise<Verdict> {
  const authorization = header(request.headers, 'authorization');
  // API Gateway's answer to a request without credentials on an AWS_IAM route.
  if (!authorization) return refuse('ForbiddenException', 'Forbidden');
  const m = AUTHORIZATION.exec(authorization);
  if (!m) {
    return refuse(
      'IncompleteSignatureException',
      `Authorization header requires 'Credential', 'Signature' and 'SignedHeaders' parameters (AWS4-HMAC-SHA256). Authorization=${authorization.split(' ')[0]}`,
    );
  }
  const [, accessKeyId, , scopeRegion, service, signedHeaderList = '', signature = ''] = m;
  if (accessKeyId !== caller.accessKeyId) {
    return refuse('UnrecognizedClientException', 'The security token included in the request is invalid.');
  }
  if (service !== 'execute-api') {
    return refuse(
      'InvalidSignatureException',
      "Credential should be scoped to correct service: 'execute-api'.",
    );
  }
  if (scopeRegion !== region) {
    return refuse(
      'InvalidSignatureException',
      `Credential should be scoped to a valid region, not '${scopeRegion}'. The sandbox API is in ${region}.`,
    );
  }
  const amzDate = header(request.headers, 'x-amz-date');
  const signingDate = amzDate ? parseAmzDate(amzDate) : undefined;
  if (!amzDate || !signingDate) {
    return refuse(
      'IncompleteSignatureException',
      "Authorization header requires existence of a valid 'X-Amz-Date' header.",
    );
  }
  if (Math.abs(now - signingDate.getTime()) > MAX_CLOCK_SKEW_MS) {
    return refuse(
      'InvalidSignatureException',
      `Signature expired: ${amzDate} is more than 5 minutes away from the server time ${new Date(now).toISOString()}.`,
    );
  }
  const signedHeaders = signedHeaderList.split(';');
  const headers: Record<string, string> = {};
  for (const name of signedHeaders) {
    const value = header(request.headers, name);
    if (value !== undefined) headers[name] = value;
  }
  const contentHash = headers['x-amz-content-sha256'];
  if (
    contentHash &&
    contentHash !== 'UNSIGNED-PAYLOAD' &&
    contentHash !== createHash('sha256').update(request.body).digest('hex')
  ) {
    return refuse(
      'InvalidSignatureException',
      'The provided x-amz-content-sha256 header does not match the body.',
    );
  }
  const url = new URL(request.url, 'http://sandbox');
  const signer = new SignatureV4({
    service: 'execute-api',
    region,
    sha256: Sha256,
    applyChecksum: false,
    credentials: {
      accessKeyId: caller.accessKeyId,
      secretAccessKey: caller.secretAccessKey,
      ...(headers['x-amz-security-token'] && { sessionToken: headers['x-amz-security-token'] }),
    },
  });
  const signed = await signer.sign(
    {
      method: request.method,
      protocol: 'http:',
      hostname: (headers.host ?? '').replace(/:\d+$/, ''),
      path: url.pathname,
      query: queryOf(url.searchParams),
      headers,
      body: request.body.length > 0 ? request.body : undefined,
    },
    { signingDate, signableHeaders: new Set(signedHeaders) },
  );
  const expected = /Signature=([0-9a-f]{64})/.exec(String(signed.headers.authorization))?.[1] ?? '';
  if (
    expected.length !== signature.length ||
    !timingSafeEqual(Buffer.from(expected), Buffer.from(signature))
  ) {
    return refuse(
      'InvalidSignatureException',
      'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
    );
  }
  return { ok: true, caller };
}

/** The event's requestContext.authorizer for an IAM caller, as API Gateway fills it. */
export function iamAuthorizer(caller: ApiCaller) {
  return {
    iam: {
      accessKey: caller.accessKeyId,
      accountId: ACCOUNT_ID,
      callerId: caller.userId,
      cognitoIdentity: null,
      principalOrgId: null,
      userArn: caller.userArn,
      userId: caller.userId,
    },
  };
}

function readAll(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** The proxy: verified requests go on to serverless-offline at `target` with the caller's principal. */
export function createApiAuthProxy(options: {
  target: { host: string; port: number };
  region: string;
  caller?: ApiCaller;
}): Server {
  const caller = options.caller ?? SANDBOX_CALLER;
  const agent = new Agent({ keepAlive: true });
  const answer403 = (res: ServerResponse, errorType: string, message: string) => {
    const body = JSON.stringify({ message });
    res.writeHead(403, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
      'x-amzn-errortype': errorType,
    });
    res.end(body);
  };
  const server = createServer(async (req, res) => {
    try {
      const body = await readAll(req);
      const verdict = await verifyRequest(
        { method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers, body },
        caller,
        options.region,
      );
      if (!verdict.ok) return answer403(res, verdict.errorType, verdict.message);
      // A caller never chooses its own principal: any override it sent is replaced.
      const headers: IncomingHttpHeaders = { ...req.headers };
      delete headers[AUTHORIZER_OVERRIDE_HEADER];
      headers[AUTHORIZER_OVERRIDE_HEADER] = JSON.stringify(iamAuthorizer(verdict.caller));
      headers['content-length'] = String(body.length);
      const upstream = httpRequest(
        {
          host: options.target.host,
          port: options.target.port,
          method: req.method,
          path: req.url,
          headers,
          agent,
        },
        (response) => {
          res.writeHead(response.statusCode ?? 502, response.headers);
          response.pipe(res);
        },
      );
      upstream.on('error', (error) => {
        if (res.headersSent) {
          res.destroy(error);
          return;
        }
        res.writeHead(502, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ message: 'Internal Server Error' }));
      });
      upstream.end(body);
    } catch (error) {
      console.error('[sandbox] API proxy error', error);
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ message: 'Internal Server Error' }));
    }
  });
  server.on('close', () => agent.destroy());
  return server;
}
