import { ECSClient } from '@aws-sdk/client-ecs';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SQSClient } from '@aws-sdk/client-sqs';
import { type Sandbox, startSandbox } from '../../local/sandbox';

/** Short task lifecycles so an end-to-end test takes seconds, not minutes. */
export const FAST_TIMINGS = { provisioningMs: 50, pendingMs: 50, stoppingMs: 50, deprovisioningMs: 50 };

export const SUBNETS = ['subnet-0sandbox0000001'];

export interface SandboxClients {
  ecs: ECSClient;
  events: EventBridgeClient;
  sqs: SQSClient;
}

export async function startTestSandbox(options: Parameters<typeof startSandbox>[0] = {}) {
  const sandbox = await startSandbox({ timings: FAST_TIMINGS, ...options });
  const config = {
    region: 'us-east-1',
    endpoint: sandbox.endpoint,
    credentials: { accessKeyId: 'sandbox', secretAccessKey: 'sandbox' },
    maxAttempts: 1,
  };
  const clients: SandboxClients = {
    ecs: new ECSClient(config),
    events: new EventBridgeClient(config),
    sqs: new SQSClient(config),
  };
  return {
    sandbox,
    clients,
    async stop() {
      for (const c of Object.values(clients)) c.destroy();
      await sandbox.stop();
    },
  };
}

/** Polls until `check` returns a value (not undefined/false), or fails with the last seen state. */
export async function waitFor<T>(
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export type { Sandbox };
