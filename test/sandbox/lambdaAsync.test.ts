import { ACCOUNT_ID, type InvokeResult, REGION, VirtualClock } from '../../local/core';
import { type AsyncInvokeConfig, AsyncLambda } from '../../local/lambdaAsync';

const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

/** An invoker whose calls stay open until the test settles them. */
function manualInvoker() {
  const calls: Array<{ functionName: string; payload: unknown; settle: (result: InvokeResult) => void }> = [];
  return {
    calls,
    invoker: {
      invoke: (functionName: string, payload: unknown) =>
        new Promise<InvokeResult>((settle) => {
          calls.push({ functionName, payload, settle });
        }),
    },
  };
}

describe('AsyncLambda', () => {
  let clock: VirtualClock;

  beforeEach(() => {
    clock = new VirtualClock();
  });

  afterEach(() => {
    clock.stop();
  });

  function failingSetup(config: Partial<AsyncInvokeConfig> = {}) {
    const calls: unknown[] = [];
    const deadLetters: unknown[] = [];
    const lambda = new AsyncLambda({
      clock,
      invoker: {
        invoke: async (_name, payload) => {
          calls.push(payload);
          return {
            ok: false,
            error: 'boom',
            payload: { errorType: 'Error', errorMessage: 'boom', trace: [] },
          };
        },
      },
      configFor: () => ({
        maximumRetryAttempts: 2,
        maximumEventAgeSeconds: 21600,
        onFailure: (record) => deadLetters.push(record),
        ...config,
      }),
    });
    return { lambda, calls, deadLetters };
  }

  it('returns at once and runs the function in the background', async () => {
    const { calls, invoker } = manualInvoker();
    const lambda = new AsyncLambda({
      clock,
      invoker,
      configFor: () => ({ maximumRetryAttempts: 2, maximumEventAgeSeconds: 60 }),
    });
    expect(lambda.invokeAsync('taskEvents', { n: 1 })).toBeUndefined();
    await flush();
    expect(calls.map((c) => c.payload)).toEqual([{ n: 1 }]);
    expect(lambda.pending()).toBe(1);
    calls[0]?.settle({ ok: true });
    await lambda.idle();
    expect(lambda.stats()).toMatchObject({ invocations: 1, failures: 0, deadLettered: 0, succeeded: 1 });
  });

  it('retries after 1 s and then 2 s of virtual time', async () => {
    // The virtual clock also runs in real time, so leave a margin around each due time.
    const { lambda, calls } = failingSetup();
    lambda.invokeAsync('taskEvents', { n: 1 });
    await flush();
    expect(calls).toHaveLength(1);
    clock.advance(800);
    await flush();
    expect(calls).toHaveLength(1);
    clock.advance(300);
    await flush();
    expect(calls).toHaveLength(2);
    clock.advance(1700);
    await flush();
    expect(calls).toHaveLength(2);
    clock.advance(400);
    await flush();
    expect(calls).toHaveLength(3);
  });

  it('retries twice, then sends a Lambda destination record to onFailure', async () => {
    const { lambda, calls, deadLetters } = failingSetup();
    const started = clock.now();
    lambda.invokeAsync('taskEvents', { detail: { taskArn: 't1' } });
    await lambda.idle({ advanceClock: true });

    expect(calls).toHaveLength(3);
    expect(clock.now() - started).toBeGreaterThanOrEqual(3000);
    expect(deadLetters).toHaveLength(1);
    expect(deadLetters[0]).toEqual({
      version: '1.0',
      timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      requestContext: {
        requestId: expect.stringMatching(/^[0-9a-f-]{36}$/),
        functionArn: `arn:aws:lambda:${REGION}:${ACCOUNT_ID}:function:taskEvents:$LATEST`,
        condition: 'RetriesExhausted',
        approximateInvokeCount: 3,
      },
      requestPayload: { detail: { taskArn: 't1' } },
      responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
      responsePayload: { errorType: 'Error', errorMessage: 'boom', trace: [] },
    });
    expect(lambda.stats()).toMatchObject({ invocations: 3, failures: 3, deadLettered: 1 });
  });

  it('honours maximumRetryAttempts 0', async () => {
    const { lambda, calls, deadLetters } = failingSetup({ maximumRetryAttempts: 0 });
    lambda.invokeAsync('taskEvents', {});
    await lambda.idle({ advanceClock: true });
    expect(calls).toHaveLength(1);
    expect(deadLetters).toHaveLength(1);
    expect(deadLetters[0]).toMatchObject({ requestContext: { approximateInvokeCount: 1 } });
  });

  it('stops retrying once the event is older than maximumEventAgeSeconds', async () => {
    const { lambda, calls, deadLetters } = failingSetup({ maximumEventAgeSeconds: 1, retryDelaysMs: [5000] });
    lambda.invokeAsync('taskEvents', {});
    await lambda.idle({ advanceClock: true });
    expect(calls).toHaveLength(1);
    expect(deadLetters[0]).toMatchObject({
      requestContext: { condition: 'EventAgeExceeded', approximateInvokeCount: 1 },
    });
  });

  it('does not dead-letter an event that succeeds on a retry', async () => {
    let attempt = 0;
    const deadLetters: unknown[] = [];
    const lambda = new AsyncLambda({
      clock,
      invoker: { invoke: async () => (++attempt === 1 ? { ok: false, error: 'flaky' } : { ok: true }) },
      configFor: () => ({
        maximumRetryAttempts: 2,
        maximumEventAgeSeconds: 3600,
        onFailure: (r) => deadLetters.push(r),
      }),
    });
    lambda.invokeAsync('taskEvents', {});
    await lambda.idle({ advanceClock: true });
    expect(attempt).toBe(2);
    expect(deadLetters).toEqual([]);
    expect(lambda.stats()).toMatchObject({ invocations: 2, failures: 1, deadLettered: 0, succeeded: 1 });
  });

  it('treats a rejected invoke as a failed attempt', async () => {
    const deadLetters: unknown[] = [];
    const lambda = new AsyncLambda({
      clock,
      invoker: {
        invoke: async () => {
          throw new Error('connect ECONNREFUSED');
        },
      },
      configFor: () => ({
        maximumRetryAttempts: 0,
        maximumEventAgeSeconds: 3600,
        onFailure: (r) => deadLetters.push(r),
      }),
    });
    lambda.invokeAsync('taskEvents', {});
    await lambda.idle();
    expect(deadLetters[0]).toMatchObject({ responsePayload: { errorMessage: 'connect ECONNREFUSED' } });
  });

  it('runs at most 10 at once per function and queues the rest in order', async () => {
    const { calls, invoker } = manualInvoker();
    const lambda = new AsyncLambda({
      clock,
      invoker,
      configFor: () => ({ maximumRetryAttempts: 0, maximumEventAgeSeconds: 60 }),
    });
    for (let i = 0; i < 25; i++) lambda.invokeAsync('taskEvents', i);
    lambda.invokeAsync('api', 'other');
    await flush();
    expect(calls.filter((c) => c.functionName === 'taskEvents').map((c) => c.payload)).toEqual([
      0, 1, 2, 3, 4, 5, 6, 7, 8, 9,
    ]);
    expect(calls.some((c) => c.functionName === 'api')).toBe(true);

    for (const call of calls.splice(0)) call.settle({ ok: true });
    await flush();
    expect(calls.map((c) => c.payload)).toEqual([10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);

    let idle = false;
    const done = lambda.idle().then(() => {
      idle = true;
    });
    for (const call of calls.splice(0)) call.settle({ ok: true });
    await flush();
    expect(calls.map((c) => c.payload)).toEqual([20, 21, 22, 23, 24]);
    expect(idle).toBe(false);
    for (const call of calls.splice(0)) call.settle({ ok: true });
    await done;
    expect(lambda.stats()).toMatchObject({ invocations: 26, succeeded: 26, failures: 0 });
  });

  it('accepts a lower concurrency limit', async () => {
    const { calls, invoker } = manualInvoker();
    const lambda = new AsyncLambda({
      clock,
      invoker,
      maxConcurrency: 2,
      configFor: () => ({ maximumRetryAttempts: 0, maximumEventAgeSeconds: 60 }),
    });
    for (let i = 0; i < 5; i++) lambda.invokeAsync('taskEvents', i);
    await flush();
    expect(calls).toHaveLength(2);
  });

  it('idle() resolves at once when nothing is pending', async () => {
    const { lambda } = failingSetup();
    await expect(lambda.idle()).resolves.toBeUndefined();
  });

  it('idle() waits for an event that is waiting for its retry', async () => {
    const { lambda, deadLetters } = failingSetup({ retryDelaysMs: [50, 50] });
    lambda.invokeAsync('taskEvents', {});
    let idle = false;
    const done = lambda.idle().then(() => {
      idle = true;
    });
    await flush();
    expect(idle).toBe(false);
    clock.advance(50);
    await flush();
    clock.advance(50);
    await done;
    expect(deadLetters).toHaveLength(1);
  });
});
