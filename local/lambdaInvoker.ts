/** Runs functions through serverless-offline's Lambda Invoke endpoint (the bundled handlers that deploy). */
import type { InvokeResult, LambdaInvoker } from './core';

export class OfflineLambdaInvoker implements LambdaInvoker {
  constructor(private readonly endpoint: string) {}

  async invoke(functionName: string, payload: unknown): Promise<InvokeResult> {
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
