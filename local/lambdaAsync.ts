/**
 * Lambda's asynchronous invocation (InvocationType Event) on top of a LambdaInvoker: the event is queued
 * and the call returns at once; a failed attempt is retried after a delay (virtual time) up to
 * MaximumRetryAttempts; an event older than MaximumEventAgeInSeconds is not attempted again; an event that
 * runs out of attempts or age goes to the OnFailure destination as a Lambda destination record.
 * Each function runs at most `maxConcurrency` attempts at once; the rest wait in a FIFO queue.
 */
import { randomUUID } from 'node:crypto';
import {
  ACCOUNT_ID,
  type InvokeResult,
  type LambdaInvoker,
  REGION,
  type TimerHandle,
  type VirtualClock,
} from './core';

export interface AsyncInvokeConfig {
  /** 0..2, default 2. */
  maximumRetryAttempts: number;
  /** 60..21600, default 21600. */
  maximumEventAgeSeconds: number;
  /** The OnFailure destination (e.g. send to an SQS DLQ); gets a Lambda destination record. */
  onFailure?: (record: unknown) => void;
  /** Delay before retry n (virtual ms); the last entry repeats. Default [1000, 2000]. */
  retryDelaysMs?: number[];
}

/** The record Lambda sends to an OnFailure destination. */
export interface AsyncFailureRecord {
  version: '1.0';
  timestamp: string;
  requestContext: {
    requestId: string;
    functionArn: string;
    condition: 'RetriesExhausted' | 'EventAgeExceeded';
    approximateInvokeCount: number;
  };
  requestPayload: unknown;
  responseContext?: { statusCode: number; executedVersion: string; functionError: string };
  responsePayload?: unknown;
}

export interface AsyncLambdaStats {
  /** Attempts made (each call to the invoker, retries included), like the Invocations metric. */
  invocations: number;
  /** Failed attempts, like the Errors metric. */
  failures: number;
  /** Records handed to an onFailure destination. */
  deadLettered: number;
  /** Events accepted by invokeAsync. */
  received: number;
  /** Events that succeeded on some attempt. */
  succeeded: number;
  /** Events given up on with no onFailure destination configured. */
  dropped: number;
}

const DEFAULT_RETRY_DELAYS_MS = [1000, 2000];
const DEFAULT_MAX_EVENT_AGE_SECONDS = 21600;

interface PendingEvent {
  functionName: string;
  payload: unknown;
  requestId: string;
  receivedAt: number;
  attempts: number;
  config: AsyncInvokeConfig;
  lastResult?: InvokeResult;
}

interface FunctionLane {
  running: number;
  queue: PendingEvent[];
}

export class AsyncLambda {
  private readonly clock: VirtualClock;
  private readonly invoker: LambdaInvoker;
  private readonly configFor: (functionName: string) => AsyncInvokeConfig;
  private readonly maxConcurrency: number;
  private readonly lanes = new Map<string, FunctionLane>();
  private readonly retryTimers = new Map<number, { at: number; handle: TimerHandle }>();
  private outstanding = 0;
  private running = 0;
  private idleWaiters: Array<{ resolve: () => void; advanceClock: boolean }> = [];
  private readonly counters: AsyncLambdaStats = {
    invocations: 0,
    failures: 0,
    deadLettered: 0,
    received: 0,
    succeeded: 0,
    dropped: 0,
  };

  constructor(opts: {
    clock: VirtualClock;
    invoker: LambdaInvoker;
    configFor: (functionName: string) => AsyncInvokeConfig;
    /** Attempts in flight at once per function (default 10). */
    maxConcurrency?: number;
  }) {
    this.clock = opts.clock;
    this.invoker = opts.invoker;
    this.configFor = opts.configFor;
    this.maxConcurrency = Math.max(1, opts.maxConcurrency ?? 10);
  }

  /** Queues the event and returns at once, like Invoke with InvocationType Event. */
  invokeAsync(functionName: string, payload: unknown): void {
    const config = this.configFor(functionName);
    this.counters.received++;
    this.outstanding++;
    this.enqueue({
      functionName,
      payload,
      requestId: randomUUID(),
      receivedAt: this.clock.now(),
      attempts: 0,
      config,
    });
  }

  /**
   * Resolves once nothing is queued, in flight or waiting for a retry. With `advanceClock`, whenever the
   * only thing left is a retry waiting on the virtual clock, the clock is moved forward to it (this also
   * fires any other timer on the shared clock that falls due), so retries do not take real time.
   */
  idle(opts: { advanceClock?: boolean } = {}): Promise<void> {
    if (this.outstanding === 0) return Promise.resolve();
    const promise = new Promise<void>((resolve) => {
      this.idleWaiters.push({ resolve, advanceClock: opts.advanceClock === true });
    });
    this.settle();
    return promise;
  }

  stats(): AsyncLambdaStats {
    return { ...this.counters };
  }

  /** Events queued, running or waiting for a retry. */
  pending(): number {
    return this.outstanding;
  }

  private lane(functionName: string): FunctionLane {
    let lane = this.lanes.get(functionName);
    if (!lane) {
      lane = { running: 0, queue: [] };
      this.lanes.set(functionName, lane);
    }
    return lane;
  }

  private enqueue(event: PendingEvent): void {
    this.lane(event.functionName).queue.push(event);
    this.pump(event.functionName);
  }

  private pump(functionName: string): void {
    const lane = this.lane(functionName);
    while (lane.running < this.maxConcurrency) {
      const event = lane.queue.shift();
      if (!event) break;
      if (this.tooOld(event)) {
        this.giveUp(event, 'EventAgeExceeded');
        continue;
      }
      lane.running++;
      this.running++;
      void this.attempt(event).finally(() => {
        lane.running--;
        this.running--;
        this.pump(functionName);
        this.settle();
      });
    }
  }

  private async attempt(event: PendingEvent): Promise<void> {
    event.attempts++;
    this.counters.invocations++;
    let result: InvokeResult;
    try {
      result = await this.invoker.invoke(event.functionName, event.payload);
    } catch (error) {
      result = { ok: false, error: error instanceof Error ? error.message : String(error) };
    }
    event.lastResult = result;
    if (result.ok) {
      this.counters.succeeded++;
      this.finish();
      return;
    }
    this.counters.failures++;
    const maxRetries = clamp(event.config.maximumRetryAttempts, 0, 2, 2);
    if (event.attempts > maxRetries) {
      this.giveUp(event, 'RetriesExhausted');
      return;
    }
    const delays = event.config.retryDelaysMs?.length ? event.config.retryDelaysMs : DEFAULT_RETRY_DELAYS_MS;
    const delay = Math.max(0, delays[Math.min(event.attempts - 1, delays.length - 1)] ?? 0);
    const at = this.clock.now() + delay;
    const handle = this.clock.setTimeout(() => {
      this.retryTimers.delete(handle.id);
      if (this.tooOld(event)) this.giveUp(event, 'EventAgeExceeded');
      else this.enqueue(event);
      this.settle();
    }, delay);
    this.retryTimers.set(handle.id, { at, handle });
  }

  private tooOld(event: PendingEvent): boolean {
    const maxAgeSeconds = event.config.maximumEventAgeSeconds || DEFAULT_MAX_EVENT_AGE_SECONDS;
    return this.clock.now() - event.receivedAt > maxAgeSeconds * 1000;
  }

  private giveUp(event: PendingEvent, condition: 'RetriesExhausted' | 'EventAgeExceeded'): void {
    const onFailure = event.config.onFailure;
    if (!onFailure) {
      this.counters.dropped++;
      console.warn(
        `[sandbox] async invoke of ${event.functionName} dropped (${condition}) after ${event.attempts} attempt(s)`,
      );
      this.finish();
      return;
    }
    const record = this.failureRecord(event, condition);
    this.counters.deadLettered++;
    try {
      const returned: unknown = onFailure(record);
      if (returned instanceof Promise) {
        returned.catch((error) => console.error('[sandbox] onFailure destination failed', error));
      }
    } catch (error) {
      console.error('[sandbox] onFailure destination failed', error);
    }
    this.finish();
  }

  private failureRecord(event: PendingEvent, condition: AsyncFailureRecord['requestContext']['condition']) {
    const record: AsyncFailureRecord = {
      version: '1.0',
      timestamp: new Date(this.clock.now()).toISOString(),
      requestContext: {
        requestId: event.requestId,
        functionArn: `arn:aws:lambda:${REGION}:${ACCOUNT_ID}:function:${event.functionName}:$LATEST`,
        condition,
        approximateInvokeCount: event.attempts,
      },
      requestPayload: event.payload,
    };
    const last = event.lastResult;
    if (last) {
      record.responseContext = { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' };
      record.responsePayload = errorPayload(last);
    }
    return record;
  }

  private finish(): void {
    this.outstanding--;
    this.settle();
  }

  /** Resolves idle() waiters, or fast-forwards the clock to the next retry when a waiter asked for it. */
  private settle(): void {
    if (this.outstanding === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const waiter of waiters) waiter.resolve();
      return;
    }
    if (this.running > 0 || !this.idleWaiters.some((w) => w.advanceClock)) return;
    let next: number | undefined;
    for (const timer of this.retryTimers.values()) if (next === undefined || timer.at < next) next = timer.at;
    if (next === undefined) return;
    // Defer so the attempt that just finished has unwound before the retry starts.
    queueMicrotask(() => {
      if (this.running > 0 || this.retryTimers.size === 0) return;
      let due: number | undefined;
      for (const timer of this.retryTimers.values()) if (due === undefined || timer.at < due) due = timer.at;
      if (due !== undefined) this.clock.advance(Math.max(0, due - this.clock.now()));
    });
  }
}

function clamp(value: number | undefined, min: number, max: number, fallback: number): number {
  if (value === undefined || !Number.isFinite(value)) return fallback;
  return Math.min(max, Math.max(min, Math.trunc(value)));
}

/** Lambda's payload for an unhandled error: the function's own error object when it returned one. */
function errorPayload(result: InvokeResult): Record<string, unknown> {
  const payload = result.payload;
  if (typeof payload === 'object' && payload !== null && 'errorMessage' in payload) {
    return payload as Record<string, unknown>;
  }
  if (typeof payload === 'string') {
    try {
      const parsed: unknown = JSON.parse(payload);
      if (typeof parsed === 'object' && parsed !== null && 'errorMessage' in parsed) {
        return parsed as Record<string, unknown>;
      }
    } catch {
      // not JSON: fall through
    }
  }
  return { errorType: 'Error', errorMessage: result.error ?? 'Unknown error', trace: [] };
}
