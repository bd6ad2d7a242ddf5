import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';

/** A write refused by its condition: ConditionalCheckFailed, or a transaction cancelled by one. */
export function isConditionFailure(error: unknown): boolean {
  const name = (error as Error | undefined)?.name;
  if (error instanceof ConditionalCheckFailedException || name === 'ConditionalCheckFailedException')
    return true;
  if (!(error instanceof TransactionCanceledException) && name !== 'TransactionCanceledException')
    return false;
  return ((error as TransactionCanceledException).CancellationReasons ?? []).some(
    (r) => r.Code === 'ConditionalCheckFailed',
  );
}

/** Awaits a conditional write: true when it was written, false when its condition refused it. */
export async function writtenIf(write: Promise<unknown>): Promise<boolean> {
  try {
    await write;
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}
