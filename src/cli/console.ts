/**
 * `ecs-autopilot console`: a web page on the operator's own machine. A node:http server bound to 127.0.0.1
 * serves the page (console/, plain files: nothing to build) and Chart.js's prebuilt browser file, and relays
 * `/api/<path>` to the stage's HTTP API signed with the operator's credentials, as every CLI command signs.
 * The deployed stack gains no public surface; the credentials never reach the browser.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import type { AwsCredentialIdentityProvider } from '@smithy/types';
import { signedFetch } from './signing';
import { awsRefusal } from './stage';

/** The part of a StageContext the console needs: where the API is and how to sign for it. */
export interface ConsoleTarget {
  stage: string;
  apiUrl(): Promise<string>;
  region(): Promise<string>;
  credentials: AwsCredentialIdentityProvider;
}

export interface ConsoleOptions {
  /** 0 picks a free port. */
  port: number;
  /** The cluster the page opens on. */
  cluster?: string;
}

export interface RunningConsole {
  url: string;
  port: number;
  close(): Promise<void>;
}

export const DEFAULT_CONSOLE_PORT = 8719;
/** Only loopback: the console relays the operator's credentials, so nothing off the machine may reach it. */
const HOST = '127.0.0.1';
/** Request bodies the API takes are small (a schedule, a launch); a larger one is refused before signing. */
const MAX_BODY_BYTES = 1024 * 1024;
/** The request headers the API reads; anything else the browser sends (cookies included) stays here. */
const FORWARDED_REQUEST_HEADERS = ['accept', 'content-type', 'idempotency-key'];
const FORWARDED_RESPONSE_HEADERS = ['content-type', 'location', 'retry-after'];

const SECURITY_HEADERS = {
  // Everything the page loads comes from this server; no frame may embed it (clickjacking).
  'content-security-policy': "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

/** The folder of the page's files: console/ at the package root, found from src/cli or from dist/. */
function consoleDir(): string {
  let dir = __dirname;
  for (;;) {
    if (existsSync(join(dir, 'console', 'index.html'))) return join(dir, 'console');
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`console/index.html not found above ${__dirname}`);
    dir = parent;
  }
}

/**
 * The files served, by URL path: a fixed table, so no request path ever names a file. Chart.js is resolved
 * through node (its exports map names no UMD file; its main entry sits beside it in dist/).
 */
function staticFiles(): Record<string, { file: string; type: string }> {
  const page = consoleDir();
  const chartDist = dirname(require.resolve('chart.js'));
  return {
    '/': { file: join(page, 'index.html'), type: 'text/html; charset=utf-8' },
    '/console.js': { file: join(page, 'console.js'), type: 'text/javascript; charset=utf-8' },
    '/console.css': { file: join(page, 'console.css'), type: 'text/css; charset=utf-8' },
    '/vendor/chart.umd.min.js': {
      file: join(chartDist, 'chart.umd.min.js'),
      type: 'text/javascript; charset=utf-8',
    },
  };
}

/**
 * Why a request may not use the console, or undefined. The Host must be this server (a page on another
 * site whose name resolves to 127.0.0.1, DNS rebinding, sends its own name); a call of the API must come
 * from this page: browsers send Origin on cross-origin requests and on every POST, PUT, PATCH and DELETE,
 * and Sec-Fetch-Site on all of them, so a form or fetch from another site in the same browser is refused.
 */
export function refusalOf(request: IncomingMessage, port: number): string | undefined {
  const allowedHosts = [`${HOST}:${port}`, `localhost:${port}`];
  const host = request.headers.host ?? '';
  if (!allowedHosts.includes(host)) return `Host ${host || '(none)'} is not this console`;
  if (!request.url?.startsWith('/api/')) return undefined;
  const origin = request.headers.origin;
  if (origin !== undefined && origin !== `http://${host}`) return `Origin ${origin} is not this console`;
  const site = request.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none')
    return `a ${site} request may not call the API`;
  if (origin === undefined && !['GET', 'HEAD'].includes(request.method ?? 'GET'))
    return `a ${request.method} without Origin may not call the API`;
  return undefined;
}

function readBody(request: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new BodyTooLargeError());
        request.destroy();
      } else chunks.push(chunk);
    });
    request.on('end', () => resolve(chunks.length ? Buffer.concat(chunks).toString('utf8') : undefined));
    request.on('error', reject);
  });
}

class BodyTooLargeError extends Error {
  override name = 'BodyTooLargeError';
}

function answer(response: ServerResponse, status: number, body: unknown) {
  response.writeHead(status, { ...SECURITY_HEADERS, 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}

/** Starts the console; resolves once it listens on 127.0.0.1. */
export async function startConsole(target: ConsoleTarget, options: ConsoleOptions): Promise<RunningConsole> {
  const files = staticFiles();
  let port = options.port;

  async function relay(request: IncomingMessage, response: ServerResponse) {
    const rest = (request.url ?? '/api/').slice('/api'.length);
    const method = request.method ?? 'GET';
    let apiUrl: string | undefined;
    try {
      const body = await readBody(request);
      apiUrl = await target.apiUrl();
      const headers: Record<string, string> = {};
      for (const name of FORWARDED_REQUEST_HEADERS) {
        const value = request.headers[name];
        if (typeof value === 'string') headers[name] = value;
      }
      const upstream = await signedFetch(
        `${apiUrl}${rest}`,
        { method, headers, body },
        { credentials: target.credentials, region: await target.region() },
      );
      const out: Record<string, string> = { ...SECURITY_HEADERS };
      for (const name of FORWARDED_RESPONSE_HEADERS) {
        const value = upstream.headers.get(name);
        if (value !== null) out[name] = value;
      }
      response.writeHead(upstream.status, out);
      response.end(Buffer.from(await upstream.arrayBuffer()));
    } catch (error) {
      if (error instanceof BodyTooLargeError) {
        answer(response, 413, { error: 'PayloadTooLarge', message: `bodies over ${MAX_BODY_BYTES} bytes` });
        return;
      }
      // No credentials, no Region, the API unreachable: the CLI's one-line reason, for the page to show.
      const doing = apiUrl ? `cannot reach the API at ${new URL(apiUrl).origin}` : 'cannot find the API';
      answer(response, 502, { error: 'BadGateway', message: awsRefusal(error, doing).message });
    }
  }

  async function serve(request: IncomingMessage, response: ServerResponse) {
    const refused = refusalOf(request, port);
    if (refused) {
      answer(response, 403, { error: 'Forbidden', message: refused });
      return;
    }
    // The path as sent (not through URL: '//host/x' would read as another host).
    const path = (request.url ?? '/').split('?')[0] ?? '/';
    if (path.startsWith('/api/')) return relay(request, response);
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      answer(response, 405, { error: 'MethodNotAllowed', message: `${request.method} ${path}` });
      return;
    }
    if (path === '/config.json') {
      answer(response, 200, { stage: target.stage, cluster: options.cluster ?? null });
      return;
    }
    const served = files[path === '/index.html' ? '/' : path];
    if (!served) {
      answer(response, 404, { error: 'NotFound', message: `no ${path} here` });
      return;
    }
    const content = await readFile(served.file);
    response.writeHead(200, { ...SECURITY_HEADERS, 'content-type': served.type });
    response.end(request.method === 'HEAD' ? undefined : content);
  }

  const server: Server = createServer((request, response) => {
    serve(request, response).catch((error: unknown) => {
      if (!response.headersSent) answer(response, 500, { error: 'InternalError', message: String(error) });
      else response.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, HOST, () => {
      server.off('error', reject);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;
  return {
    url: `http://${HOST}:${port}/`,
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

/** Resolves on the first Ctrl-C (SIGINT) or SIGTERM: how a console run from a terminal ends. */
export function untilStopped(): Promise<void> {
  return new Promise((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
