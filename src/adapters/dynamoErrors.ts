import {
  type AttributeValue,
  ConditionalCheckFailedException,
  TransactionCanceledException,
} from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';

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

/** Asks a conditional write to return the item it found when its condition refuses it. */
export const RETURN_EXISTING = { ReturnValuesOnConditionCheckFailure: 'ALL_OLD' } as const;

/**
 * The item a refused conditional write found, when it asked for it (RETURN_EXISTING): DynamoDB puts it on the
 * ConditionalCheckFailedException (Item), and for a cancelled transaction on the reason of each refused item
 * (CancellationReasons[index].Item; `index` is the item's place in TransactItems). Unmarshalled here: the
 * DocumentClient leaves an error's item as DynamoDB sent it (aws-sdk-js-v3 #6723). undefined when the error
 * holds none: there was no item.
 */
export function existingItemOf(error: unknown, index?: number): Record<string, unknown> | undefined {
  const item =
    index === undefined
      ? (error as { Item?: Record<string, AttributeValue> } | undefined)?.Item
      : (error as TransactionCanceledException | undefined)?.CancellationReasons?.[index]?.Item;
  return item ? unmarshall(item) : undefined;
}
