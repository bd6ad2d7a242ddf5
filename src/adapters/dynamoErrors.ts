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

/**
 * The reason code of each item of a cancelled transaction, in the order of its TransactItems ("None" for an
 * item that was not the cause), or undefined when `error` is not a cancelled transaction.
 */
export function cancellationCodes(error: unknown): (string | undefined)[] | undefined {
  const name = (error as Error | undefined)?.name;
  if (!(error instanceof TransactionCanceledException) && name !== 'TransactionCanceledException')
    return undefined;
  return ((error as TransactionCanceledException).CancellationReasons ?? []).map((r) => r.Code);
}

/** A transaction cancelled because another one was writing the same item at once: worth trying again. */
export function isTransactionConflict(error: unknown): boolean {
  return (
    (error as Error | undefined)?.name === 'TransactionConflictException' ||
    (cancellationCodes(error) ?? []).includes('TransactionConflict')
  );
}
