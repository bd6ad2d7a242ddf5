/**
 * Shared pieces of the sandbox (never bundled into a Lambda): the virtual clock, AWS-shaped errors,
 * and the interfaces through which emulated services publish events and invoke functions.
 */
import { randomUUID } from 'node:crypto';

export const ACCOUNT_ID = '000000000000';
export const REGION = process.env.AWS_REGION ?? 'us-east-1';

/** An AWS error as the wire protocols carry it: `__type` code, message, HTTP status, modeled members. */
export class AwsError extends Error {
  constructor(
    public readonly code: string,
    message: string,
    public readonly status = 400,
    public readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = code;
  }
}

export interface TimerHandle {
  readonly id: number;
}

/**
 * Virtual time: real time plus an offset that `advance` moves forward. Timers are due on virtual time,
 * so fast-forwarding fires everything that became due, in order.
 */
export class VirtualClock {
  private offsetMs = 0;
  private nextId = 1;
  private timers = new Map<number, { at: number; fn: () => void }>();
  private ticker: NodeJS.Timeout | undefined;

  constructor(private readonly tickMs = 10) {}

  now(): number {
    return Date.now() + this.offsetMs;
  }

  /** Runs fn once virtual time reaches now()+delayMs. */
  setTimeout(fn: () => void, delayMs: number): TimerHandle {
    const id = this.nextId++;
    this.timers.set(id, { at: this.now() + Math.max(0, delayMs), fn });
    this.ensureTicking();
    return { id };
  }

  clearTimeout(handle: TimerHandle | undefined): void {
    if (handle) this.timers.delete(handle.id);
  }

  /** Moves virtual time forward and fires what became due, earliest first. */
  advance(ms: number): void {
    this.offsetMs += ms;
    this.fireDue();
  }

  pendingTimers(): number {
    return this.timers.size;
  }

  stop(): void {
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = undefined;
    this.timers.clear();
  }

  private ensureTicking(): void {
    if (this.ticker) return;
    this.ticker = setInterval(() => this.fireDue(), this.tickMs);
    this.ticker.unref();
  }

  private fireDue(): void {
    for (;;) {
      const now = this.now();
      let first: [number, { at: number; fn: () => void }] | undefined;
      for (const entry of this.timers) {
        if (entry[1].at <= now && (!first || entry[1].at < first[1].at)) first = entry;
      }
      if (!first) return;
      this.timers.delete(first[0]);
      try {
        first[1].fn();
      } catch (error) {
        console.error('[sandbox] timer failed', error);
      }
    }
  }
}

/**
 * An EventBridge event envelope as AWS delivers it ("Amazon EventBridge events",
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-events-structure.html).
 */
export interface BusEvent {
  version: '0';
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: Record<string, unknown>;
}

/** Envelope `time` is ISO-8601 without milliseconds. */
export function envelope(
  clock: { now(): number },
  source: string,
  detailType: string,
  resources: string[],
  detail: Record<string, unknown>,
): BusEvent {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': detailType,
    source,
    account: ACCOUNT_ID,
    time: new Date(clock.now()).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: REGION,
    resources,
    detail,
  };
}

/** Where emulated services publish the events AWS would put on the default bus. */
export type PublishEvent = (event: BusEvent) => void;

export interface InvokeResult {
  /** false when the function threw (Lambda's FunctionError) or could not be reached. */
  ok: boolean;
  payload?: unknown;
  error?: string;
}

/** How the sandbox runs a Lambda function (serverless-offline's Lambda endpoint, or in-process in tests). */
export interface LambdaInvoker {
  invoke(functionName: string, payload: unknown): Promise<InvokeResult>;
}

/** A service emulator: one awsJson/rest operation in, a JSON-serialisable result out, or an AwsError thrown. */
export type OperationHandler = (
  operation: string,
  input: Record<string, unknown>,
) => Promise<unknown> | unknown;
