/** Runs functions through serverless-offline's Lambda Invoke endpoint (the bundled handlers that deploy). */
import type { InvokeResult, LambdaInvoker } from './core';

export class OfflineLambdaInvoker implements LambdaInvoker {
  private markStarted: () => void = () => undefined;
  /**
   * Invocations wait until serverless-offline is up: the sandbox's schedules and queues start on its own
   * clock while serverless-offline still bundles, and AWS never invokes a function that is not deployed yet.
   */
  private readonly started = new Promise<void>((resolve) => {
    this.markStarted = resolve;
  });

  constructor(private readonly endpoint: string) {}

  /** serverless-offline said "Server ready". */
  ready(): void {
    this.markStarted();
  }

  async invoke(functionName: string, payload: unknown): Promise<InvokeResult> {
    await this.started;
    try {
      const response = await fetch(
        `${this.endpoint}/2015-03-31/functions/${encodeURIComponent(functionName)}/invocations`,
        {
          method: 'POST',
          headers: { 'x-amz-invocation-type': 'RequestResponse', 'content-type': 'application/json' },
          body: JSON.stringify(payload),
        },
      );
      const text = await response.text();
      const body = text ? safeJson(text) : undefined;
      if (response.status !== 200 || response.headers.get('x-amz-function-error')) {
        const message = (body as { errorMessage?: string; Message?: string })?.errorMessage ?? text;
        return { ok: false, payload: body, error: `${response.status} ${message}`.slice(0, 2000) };
      }
      return { ok: true, payload: body };
    } catch (error) {
      return { ok: false, error: `invoke ${functionName} failed: ${(error as Error).message}` };
    }
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
