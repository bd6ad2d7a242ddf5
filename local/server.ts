/**
 * The sandbox's AWS endpoint: one port speaking the real wire protocols (like LocalStack's edge port).
 *   x-amz-target AmazonEC2ContainerServiceV20141113.*  ECS            (awsJson1_1)
 *   x-amz-target AWSEvents.*                           EventBridge    (awsJson1_1)
 *   x-amz-target AmazonSQS.*                           SQS            (awsJson1_0)
 *   x-amz-target DynamoDB_20120810.*                   DynamoDB       (dynalite, same port)
 *   SigV4 scope .../scheduler/aws4_request             EventBridge Scheduler (rest-json)
 *   SigV4 scope .../cloudformation/aws4_request        CloudFormation (awsQuery: form in, XML out)
 *   SigV4 scope .../sns/aws4_request                   SNS (awsQuery)
 *   SigV4 scope .../lambda/aws4_request                Lambda control plane (rest-json)
 *   /_sandbox/<command>                                control: fault injection, clock, stats
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { answerQuery, type QueryService } from './awsQuery';
import { ControlInputError } from './controlInput';
import { AwsError, type OperationHandler } from './core';

export interface EdgeServices {
  /** While the sandbox stops, requests get 503 instead of reaching emulators being torn down. */
  isStopping?: () => boolean;
  ecs: OperationHandler;
  events: OperationHandler;
  sqs: OperationHandler;
  /** dynalite's request listener: DynamoDB requests are handed over untouched. */
  dynamodb: (req: IncomingMessage, res: ServerResponse) => void;
  scheduler: (
    method: string,
    path: string,
    query: URLSearchParams,
    body: unknown,
  ) => Promise<{ status: number; body: unknown; headers?: Record<string, string> }>;
  control: (command: string, body: unknown) => Promise<unknown>;
  /** awsQuery services, found by the service their requests are signed for. */
  cloudformation?: QueryService;
  sns?: QueryService;
  lambda?: (method: string, path: string) => Promise<{ status: number; body: unknown }>;
}

const JSON_TARGETS: [prefix: string, service: keyof EdgeServices, contentType: string][] = [
  ['AmazonEC2ContainerServiceV20141113.', 'ecs', 'application/x-amz-json-1.1'],
  ['AWSEvents.', 'events', 'application/x-amz-json-1.1'],
  ['AmazonSQS.', 'sqs', 'application/x-amz-json-1.0'],
];

/** Calls served, by "<service>.<operation>", so benchmarks can count AWS calls per event. */
export class CallCounter {
  private readonly counts = new Map<string, number>();
  add(key: string): void {
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }
  snapshot(): Record<string, number> {
    return Object.fromEntries([...this.counts].sort(([a], [b]) => a.localeCompare(b)));
  }
  reset(): void {
    this.counts.clear();
  }
}

export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, body: unknown, contentType = 'application/json') {
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, {
    'content-type': contentType,
    'content-length': Buffer.byteLength(text),
    'x-amzn-requestid': randomUUID(),
  });
  res.end(text);
}

function sendError(res: ServerResponse, error: unknown, contentType: string, restJson = false) {
  if (error instanceof AwsError) {
    const body = restJson
      ? { Message: error.message, message: error.message, ...error.extra }
      : { __type: error.code, message: error.message, ...error.extra };
    res.setHeader('x-amzn-errortype', error.code);
    return send(res, error.status, body, contentType);
  }
  console.error('[sandbox] internal error', error);
  return send(
    res,
    500,
    restJson
      ? { Message: 'internal sandbox error' }
      : { __type: 'InternalFailure', message: 'internal sandbox error' },
    contentType,
  );
}

/** The SigV4 credential scope names the signing service: Credential=AKID/date/region/<service>/aws4_request. */
function signingService(req: IncomingMessage): string | undefined {
  return /Credential=[^/]+\/[^/]+\/[^/]+\/([^/]+)\//.exec(req.headers.authorization ?? '')?.[1];
}

export function createEdgeServer(services: EdgeServices, counter = new CallCounter()): Server {
  return createServer(async (req, res) => {
    const target = req.headers['x-amz-target'];
    const targetName = Array.isArray(target) ? target[0] : target;
    if (services.isStopping?.()) {
      res.writeHead(503, { connection: 'close' });
      res.end();
      return;
    }
    try {
      if (targetName?.startsWith('DynamoDB_20120810.')) {
        counter.add(`dynamodb.${targetName.slice('DynamoDB_20120810.'.length)}`);
        return services.dynamodb(req, res);
      }
      const url = new URL(req.url ?? '/', 'http://sandbox');
      if (url.pathname.startsWith('/_sandbox/')) {
        const command = url.pathname.slice('/_sandbox/'.length);
        const raw = await readBody(req);
        try {
          let body: unknown = {};
          try {
            body = raw ? JSON.parse(raw) : {};
          } catch {
            throw new ControlInputError(`${command}: the body is not JSON`);
          }
          return send(res, 200, (await services.control(command, body)) ?? { ok: true });
        } catch (error) {
          if (!(error instanceof ControlInputError)) throw error;
          return send(res, error.status, { message: error.message });
        }
      }
      if (targetName) {
        const match = JSON_TARGETS.find(([prefix]) => targetName.startsWith(prefix));
        if (!match)
          return sendError(
            res,
            new AwsError('UnknownOperationException', `unknown target ${targetName}`),
            'application/json',
          );
        const [prefix, service, contentType] = match;
        const operation = targetName.slice(prefix.length);
        counter.add(`${service}.${operation}`);
        const raw = await readBody(req);
        let input: Record<string, unknown>;
        try {
          input = raw ? JSON.parse(raw) : {};
        } catch {
          return sendError(
            res,
            new AwsError('SerializationException', 'request body is not JSON'),
            contentType,
          );
        }
        try {
          const handler = services[service] as OperationHandler;
          return send(res, 200, (await handler(operation, input)) ?? {}, contentType);
        } catch (error) {
          // Errors counted by code too (ecs.RunTask!ThrottlingException): the benchmarks report them.
          if (error instanceof AwsError) counter.add(`${service}.${operation}!${error.code}`);
          return sendError(res, error, contentType);
        }
      }
      if (signingService(req) === 'scheduler') {
        const raw = await readBody(req);
        counter.add(`scheduler.${req.method} ${url.pathname.split('/').slice(0, 2).join('/')}`);
        try {
          const result = await services.scheduler(
            req.method ?? 'GET',
            url.pathname,
            url.searchParams,
            raw ? JSON.parse(raw) : undefined,
          );
          for (const [name, value] of Object.entries(result.headers ?? {})) res.setHeader(name, value);
          return send(res, result.status, result.body);
        } catch (error) {
          return sendError(res, error, 'application/json', true);
        }
      }
      const service = signingService(req);
      const query = service === 'cloudformation' || service === 'sns' ? services[service] : undefined;
      if (query) {
        const raw = await readBody(req);
        const action = new URLSearchParams(raw).get('Action') ?? '?';
        counter.add(`${service}.${action}`);
        const answer = await answerQuery(query, raw);
        res.writeHead(answer.status, {
          'content-type': 'text/xml',
          'content-length': Buffer.byteLength(answer.body),
          'x-amzn-requestid': randomUUID(),
        });
        res.end(answer.body);
        return;
      }
      if (service === 'lambda' && services.lambda) {
        counter.add(`lambda.${req.method} ${url.pathname}`);
        try {
          const result = await services.lambda(req.method ?? 'GET', url.pathname);
          return send(res, result.status, result.body);
        } catch (error) {
          return sendError(res, error, 'application/json', true);
        }
      }
      return sendError(
        res,
        new AwsError('UnknownOperationException', `no service for ${req.method} ${req.url}`, 404),
        'application/json',
      );
    } catch (error) {
      return sendError(res, error, 'application/json');
    }
  });
}

/**
 * Idle keep-alive connections stay open this long. Node closes them after 5 s by default, and an SDK client
 * that reuses one at that moment gets "socket hang up" (its request never arrives, so nothing retries it in
 * a client with maxAttempts 1). AWS keeps idle connections far longer; so does the sandbox.
 */
export const KEEP_ALIVE_MS = 120_000;

export function listen(server: Server, port: number, host = '127.0.0.1'): Promise<number> {
  server.keepAliveTimeout = KEEP_ALIVE_MS;
  server.headersTimeout = KEEP_ALIVE_MS + 1_000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve((server.address() as AddressInfo).port));
  });
}
