/**
 * The Lambda control plane's GetFunctionConfiguration for the stack's functions (rest-json,
 * GET /2015-03-31/functions/{name}/configuration): what a client reads to see how a function was deployed,
 * its environment included. Invocations go to serverless-offline, not here.
 */
import { ACCOUNT_ID, AwsError, REGION } from './core';

export interface DeployedFunction {
  name: string;
  handler?: string;
  timeout?: number;
  environment: Record<string, string>;
}

export class LambdaApiEmulator {
  private readonly functions: Map<string, DeployedFunction>;

  constructor(functions: DeployedFunction[]) {
    this.functions = new Map(functions.map((f) => [f.name, f]));
  }

  async handleRest(method: string, path: string): Promise<{ status: number; body: unknown }> {
    const match = /^\/2015-03-31\/functions\/([^/]+)\/configuration\/?$/.exec(path);
    if (method !== 'GET' || !match) {
      throw new AwsError(
        'UnknownOperationException',
        `The sandbox Lambda does not support ${method} ${path}.`,
        404,
      );
    }
    const requested = decodeURIComponent(match[1] ?? '');
    const name = requested.startsWith('arn:') ? (requested.split(':')[6] ?? '') : requested;
    const fn = this.functions.get(name);
    if (!fn) {
      throw new AwsError(
        'ResourceNotFoundException',
        `Function not found: arn:aws:lambda:${REGION}:${ACCOUNT_ID}:function:${name}`,
        404,
        { Type: 'User' },
      );
    }
    return {
      status: 200,
      body: {
        FunctionName: fn.name,
        FunctionArn: `arn:aws:lambda:${REGION}:${ACCOUNT_ID}:function:${fn.name}`,
        Runtime: 'nodejs22.x',
        Handler: fn.handler,
        Timeout: fn.timeout,
        Architectures: ['arm64'],
        Environment: { Variables: fn.environment },
        State: 'Active',
        LastUpdateStatus: 'Successful',
        PackageType: 'Zip',
      },
    };
  }
}
