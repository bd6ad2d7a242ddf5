import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { OfflineLambdaInvoker } from '../../local/lambdaInvoker';

let server: Server;
let endpoint: string;
const seen: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push(req.url ?? '');
    req.resume();
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"ok":true}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((resolve) => server.close(resolve)));

describe('OfflineLambdaInvoker', () => {
  it('holds an invocation until serverless-offline is ready, then delivers it (no failed start-up invocations)', async () => {
    const invoker = new OfflineLambdaInvoker(endpoint);
    const result = invoker.invoke('ecs-autopilot-sandbox-serviceEvents', {
      'detail-type': 'Scheduled Event',
    });
    await new Promise((r) => setTimeout(r, 100));
    expect(seen).toEqual([]);
    invoker.ready();
    await expect(result).resolves.toEqual({ ok: true, payload: { ok: true } });
    expect(seen).toEqual(['/2015-03-31/functions/ecs-autopilot-sandbox-serviceEvents/invocations']);
  });
});
