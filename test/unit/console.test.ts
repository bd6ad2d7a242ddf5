/**
 * The console's local server without a browser: its files, loopback only, the Host/Origin checks that keep
 * other sites from using the operator's credentials, and the relay that signs each API call with SigV4.
 */
import { request } from 'node:http';
import { connect } from 'node:net';
import { type RunningConsole, startConsole } from '../../src/cli/console';
import { startFakeApi } from '../support/fakeApi';

let api: Awaited<ReturnType<typeof startFakeApi>>;
let consoleServer: RunningConsole;

beforeAll(async () => {
  api = await startFakeApi({
    'GET /tasks/abc': { status: 200, body: { task: { taskId: 'abc' }, transitions: [] } },
    'POST /schedules/nightly/runs': { status: 202, body: { status: 'PENDING' } },
  });
  consoleServer = await startConsole(
    {
      stage: 'test',
      apiUrl: async () => api.url,
      region: async () => 'eu-west-1',
      credentials: async () => ({ accessKeyId: 'AKIDCONSOLE', secretAccessKey: 'secret' }),
    },
    { port: 0, cluster: 'prod' },
  );
});
afterAll(async () => {
  await consoleServer?.close();
  await api?.close();
});
beforeEach(() => api.seen.splice(0));

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A raw request, so the test sets Host and Origin as another site's page would. */
function send(
  path: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
) {
  return new Promise<Answer>((resolve, reject) => {
    const r = request(
      {
        host: '127.0.0.1',
        port: consoleServer.port,
        path,
        method: options.method ?? 'GET',
        headers: { host: `127.0.0.1:${consoleServer.port}`, ...options.headers },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (c: Buffer) => chunks.push(c));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: Buffer.concat(chunks).toString(),
          }),
        );
      },
    );
    r.on('error', reject);
    r.end(options.body);
  });
}

describe('the console server', () => {
  it('serves the page, its script and style, and Chart.js from node_modules, with a strict policy', async () => {
    const page = await send('/');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.body).toContain('<script src="/vendor/chart.umd.min.js" defer></script>');
    expect(page.headers['content-security-policy']).toContain("default-src 'self'");
    expect(page.headers['x-frame-options']).toBe('DENY');
    const script = await send('/console.js');
    expect(script.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(script.body).toContain('function taskView');
    expect((await send('/console.css')).status).toBe(200);
    const chart = await send('/vendor/chart.umd.min.js');
    expect(chart.status).toBe(200);
    expect(chart.body).toContain('Chart.js v4.6.1');
    expect(JSON.parse((await send('/config.json')).body)).toEqual({ stage: 'test', cluster: 'prod' });
    expect((await send('/../package.json')).status).toBe(404);
    expect((await send('/console/console.js')).status).toBe(404);
  });

  it('listens on 127.0.0.1 only', async () => {
    expect(consoleServer.url).toBe(`http://127.0.0.1:${consoleServer.port}/`);
    // The IPv6 loopback (and so every other address) has no listener.
    const reached = await new Promise<boolean>((resolve) => {
      const socket = connect({ host: '::1', port: consoleServer.port });
      socket.on('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    expect(reached).toBe(false);
  });

  it('relays an API call signed with SigV4 for execute-api, forwarding neither cookies nor other headers', async () => {
    const answer = await send('/api/tasks/abc?cluster=prod', {
      headers: {
        cookie: 'session=1',
        'x-other': 'x',
        accept: 'application/json',
        'sec-fetch-site': 'same-origin',
      },
    });
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toEqual({ task: { taskId: 'abc' }, transitions: [] });
    expect(api.seen).toHaveLength(1);
    const seen = api.seen[0];
    expect(seen?.url).toBe('/tasks/abc?cluster=prod');
    expect(seen?.headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDCONSOLE\/\d{8}\/eu-west-1\/execute-api\/aws4_request, SignedHeaders=accept;host;x-amz-content-sha256;x-amz-date, Signature=[0-9a-f]{64}$/,
    );
    expect(seen?.headers['x-amz-date']).toMatch(/^\d{8}T\d{6}Z$/);
    expect(seen?.headers.cookie).toBeUndefined();
    expect(seen?.headers['x-other']).toBeUndefined();
  });

  it('passes the API answer through as it came (status and body)', async () => {
    const missing = await send('/api/tasks/nope');
    expect(missing.status).toBe(404);
    expect(JSON.parse(missing.body)).toEqual({ error: 'NotFound', message: 'no route GET /tasks/nope' });
  });

  it('relays a POST from the page itself, with its body and Idempotency-Key', async () => {
    const origin = `http://127.0.0.1:${consoleServer.port}`;
    const answer = await send('/api/schedules/nightly/runs', {
      method: 'POST',
      headers: { origin, 'content-type': 'application/json', 'idempotency-key': 'k1' },
      body: '{}',
    });
    expect(answer.status).toBe(202);
    expect(api.seen[0]).toMatchObject({ method: 'POST', body: '{}' });
    expect(api.seen[0]?.headers['idempotency-key']).toBe('k1');
    expect(api.seen[0]?.headers.authorization).toContain('SignedHeaders=content-type;host;idempotency-key;');
  });

  it.each([
    ['another Host (DNS rebinding)', '/api/tasks/abc', { host: 'evil.example:8719' }, 'GET'],
    ['another site as Origin', '/api/tasks/abc', { origin: 'https://evil.example' }, 'GET'],
    ['a cross-site fetch', '/api/tasks/abc', { 'sec-fetch-site': 'cross-site' }, 'GET'],
    ['a POST without Origin', '/api/schedules/nightly/runs', {}, 'POST'],
    ['the page itself under another Host', '/', { host: 'evil.example' }, 'GET'],
  ])('refuses %s with 403 and calls no API', async (_what, path, headers, method) => {
    const answer = await send(path, { method, headers });
    expect(answer.status).toBe(403);
    expect(JSON.parse(answer.body).error).toBe('Forbidden');
    expect(api.seen).toEqual([]);
  });

  it('answers 502 with the reason when the API cannot be reached', async () => {
    const down = await startConsole(
      {
        stage: 'test',
        apiUrl: async () => 'http://127.0.0.1:1',
        region: async () => 'eu-west-1',
        credentials: async () => ({ accessKeyId: 'a', secretAccessKey: 'b' }),
      },
      { port: 0 },
    );
    try {
      const answer = await fetch(`${down.url}api/tasks/abc`);
      expect(answer.status).toBe(502);
      expect(((await answer.json()) as { message: string }).message).toMatch(
        /^cannot reach the API at http:\/\/127\.0\.0\.1:1: /,
      );
    } finally {
      await down.close();
    }
  });
});
