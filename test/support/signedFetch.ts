/**
 * fetch, signed with the sandbox credentials the way the CLI signs (src/cli/signing.ts): the sandbox HTTP API
 * checks SigV4 as AWS_IAM does, so every test request to it goes through the signature check.
 */
import { type SignedRequest, signedFetch } from '../../src/cli/signing';

export const SANDBOX_SIGNING = {
  credentials: { accessKeyId: 'sandbox', secretAccessKey: 'sandbox' },
  region: 'us-east-1',
};

/** The sandbox IAM user every signed request is recorded as (createdBy, updatedBy). */
export const SANDBOX_CALLER_ARN = 'arn:aws:iam::000000000000:user/sandbox';

export function sandboxFetch(url: string, request: SignedRequest = {}): Promise<Response> {
  return signedFetch(url, request, SANDBOX_SIGNING);
}
