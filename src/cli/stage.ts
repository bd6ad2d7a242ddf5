/**
 * A deployed stage as the CLI reaches it: credentials from the AWS SDK's default provider chain (env,
 * SSO, profiles, assumed roles, web identity, container and instance roles), the Region, the stack
 * `ecs-autopilot-<stage>` and its outputs, and the HTTP API signed with SigV4. Every SDK client honours
 * the standard endpoint variables (AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_<SERVICE>), which is how the same
 * commands reach the sandbox.
 */
import { CloudFormationClient, DescribeStacksCommand, type Stack } from '@aws-sdk/client-cloudformation';
import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import type { AwsCredentialIdentityProvider } from '@smithy/types';
import { signedFetch } from './signing';

export const SERVICE = 'ecs-autopilot';

export interface StageOptions {
  profile?: string;
  region?: string;
  stage?: string;
  apiUrl?: string;
}

/** The CLI was used wrongly (exit 2): a missing argument, a bad file, no Region. */
export class UsageError extends Error {
  readonly exitCode = 2;
}

/** The API or AWS refused (exit 1): the message it gave. */
export class RefusedError extends Error {
  readonly exitCode = 1;
  constructor(
    message: string,
    readonly status?: number,
    readonly body?: unknown,
  ) {
    super(message);
  }
}

export interface ApiAnswer<T = unknown> {
  status: number;
  body: T;
  headers: Headers;
}

export interface ApiRequest {
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  headers?: Record<string, string>;
}

export class StageContext {
  readonly stage: string;
  readonly stackName: string;
  readonly credentials: AwsCredentialIdentityProvider;
  private regionPromise: Promise<string> | undefined;
  private stackPromise: Promise<Stack> | undefined;

  constructor(
    readonly options: StageOptions,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {
    this.stage = options.stage ?? env.ECS_AUTOPILOT_STAGE ?? 'dev';
    this.stackName = `${SERVICE}-${this.stage}`;
    this.credentials = fromNodeProviderChain(options.profile ? { profile: options.profile } : {});
  }

  /** --region, else what the SDK finds (AWS_REGION, the profile's region), else AWS_DEFAULT_REGION. */
  region(): Promise<string> {
    this.regionPromise ??= (async () => {
      if (this.options.region) return this.options.region;
      const probe = new CloudFormationClient(this.options.profile ? { profile: this.options.profile } : {});
      try {
        return await probe.config.region();
      } catch {
        // The AWS CLI's variable, which the SDK does not read.
        if (this.env.AWS_DEFAULT_REGION) return this.env.AWS_DEFAULT_REGION;
        throw new UsageError(
          'no AWS Region: pass --region, or set AWS_REGION (or the region of your profile)',
        );
      } finally {
        probe.destroy();
      }
    })();
    return this.regionPromise;
  }

  /** Configuration for an SDK client of this stage. */
  async clientConfig() {
    return {
      region: await this.region(),
      credentials: this.credentials,
      ...(this.options.profile && { profile: this.options.profile }),
    };
  }

  /** The stage's CloudFormation stack (DescribeStacks), read once. */
  stack(): Promise<Stack> {
    this.stackPromise ??= (async () => {
      const client = new CloudFormationClient(await this.clientConfig());
      try {
        const out = await client.send(new DescribeStacksCommand({ StackName: this.stackName }));
        const stack = out.Stacks?.[0];
        if (!stack) throw new RefusedError(`stack ${this.stackName} not found`);
        return stack;
      } catch (error) {
        throw awsRefusal(error, `cannot read stack ${this.stackName}`, this.deployHint());
      } finally {
        client.destroy();
      }
    })();
    return this.stackPromise;
  }

  deployHint(): string {
    return `deploy it with \`npx sls deploy --stage ${this.stage}\`, or pick another with --stage / --region`;
  }

  async outputs(): Promise<Record<string, string>> {
    const stack = await this.stack();
    return Object.fromEntries((stack.Outputs ?? []).map((o) => [o.OutputKey ?? '', o.OutputValue ?? '']));
  }

  /** --api-url, ECS_AUTOPILOT_API_URL, or the stack's HttpApiUrl output. */
  async apiUrl(): Promise<string> {
    const given = this.options.apiUrl ?? this.env.ECS_AUTOPILOT_API_URL;
    if (given) return given.replace(/\/+$/, '');
    const url = (await this.outputs()).HttpApiUrl;
    if (!url) {
      throw new RefusedError(
        `stack ${this.stackName} has no HttpApiUrl output: ${this.deployHint()}, or pass --api-url`,
      );
    }
    return url.replace(/\/+$/, '');
  }

  /** One call of the HTTP API, signed; a 4xx/5xx answer is a RefusedError with the API's message. */
  async call<T = unknown>(method: string, path: string, request: ApiRequest = {}): Promise<ApiAnswer<T>> {
    const url = new URL(`${await this.apiUrl()}${path}`);
    for (const [name, value] of Object.entries(request.query ?? {})) {
      if (value !== undefined) url.searchParams.set(name, String(value));
    }
    const body = request.body === undefined ? undefined : JSON.stringify(request.body);
    let response: Response;
    try {
      response = await signedFetch(
        url.toString(),
        {
          method,
          headers: {
            accept: 'application/json',
            ...(body && { 'content-type': 'application/json' }),
            ...request.headers,
          },
          body,
        },
        { credentials: this.credentials, region: await this.region() },
      );
    } catch (error) {
      throw awsRefusal(error, `cannot reach the API at ${url.origin}`);
    }
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: shown as it came
    }
    if (response.status >= 400) throw refusal(method, path, response.status, parsed);
    return { status: response.status, body: parsed as T, headers: response.headers };
  }
}

/** "404 NotFound: no history for task x" from the API's { error, message }, or API Gateway's { message }. */
function refusal(method: string, path: string, status: number, body: unknown): RefusedError {
  const b = (body && typeof body === 'object' ? body : { message: body }) as {
    error?: string;
    message?: string;
  };
  const what = b.error ? `${b.error}: ` : '';
  let hint = '';
  if (status === 403 && !b.error) {
    // API Gateway's own answer (the request never reached the function): the signature or the caller's IAM.
    hint =
      ' (API Gateway refused the signed request: check the credentials and that they allow execute-api:Invoke on this API)';
  }
  return new RefusedError(`${method} ${path}: ${status} ${what}${b.message ?? ''}${hint}`, status, body);
}

/** An SDK or network error, as one line that says what was being done. */
export function awsRefusal(error: unknown, doing: string, hint?: string): RefusedError | UsageError {
  if (error instanceof RefusedError || error instanceof UsageError) return error;
  const e = error as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e.name === 'CredentialsProviderError') {
    return new RefusedError(
      `${doing}: no AWS credentials (${e.message}); sign in (aws sso login, a profile with --profile, or AWS_ACCESS_KEY_ID)`,
    );
  }
  const missingStack = e.name === 'ValidationError' && /does not exist/.test(e.message ?? '');
  const detail = e.cause?.message ?? e.message ?? String(error);
  return new RefusedError(
    `${doing}: ${e.name && e.name !== 'Error' ? `${e.name}: ` : ''}${detail}${missingStack && hint ? `; ${hint}` : ''}`,
  );
}
