/**
 * In-memory Amazon SQS (standard queues) for the sandbox, spoken through the awsJson1_0 protocol
 * (`x-amz-target: AmazonSQS.<Operation>`), plus Lambda event source mappings that poll queues.
 *
 * All message timing (delays, visibility timeouts, retention, batching windows) runs on the virtual clock;
 * only the event source mapping poller ticks on real timers.
 */
import { createHash, randomUUID } from 'node:crypto';
import {
  ACCOUNT_ID,
  AwsError,
  type InvokeResult,
  type LambdaInvoker,
  type OperationHandler,
  REGION,
  type VirtualClock,
} from './core';

/** SQS JSON error codes are namespaced; the SDK keeps what follows `#` (e.g. `QueueDoesNotExist`). */
const ERROR_NAMESPACE = 'com.amazonaws.sqs#';
/** SenderId AWS puts on messages (the value from the AWS documentation examples). */
const SENDER_ID = 'AIDAIENQZJOLO23YVJ4VO';

const MAX_BATCH_ENTRIES = 10;
const MAX_DELAY_SECONDS = 900;
const MAX_VISIBILITY_TIMEOUT = 43_200;

export interface EventSourceMapping {
  queueArn: string;
  functionName: string;
  /** 1..10000, default 10. */
  batchSize: number;
  /** 0..300, default 0. */
  maximumBatchingWindowSeconds: number;
  /** 2..1000, default 5: batches in flight at once for this mapping. */
  maximumConcurrency: number;
  reportBatchItemFailures: boolean;
  enabled: boolean;
}

export interface MessageAttributeValue {
  DataType: string;
  StringValue?: string;
  /** base64 on the wire. */
  BinaryValue?: string;
}

export interface QueueStats {
  visible: number;
  inFlight: number;
  delayed: number;
}

/** A message as `peekMessages` shows it (for tests and the sandbox console). */
export interface PeekedMessage {
  messageId: string;
  body: string;
  receiveCount: number;
  messageAttributes: Record<string, MessageAttributeValue>;
  sentTimestamp: number;
  deadLetterQueueSourceArn?: string;
}

interface StoredMessage {
  messageId: string;
  body: string;
  md5OfBody: string;
  messageAttributes: Record<string, MessageAttributeValue>;
  systemAttributes: Record<string, MessageAttributeValue>;
  sentAt: number;
  /** Virtual time from which the message is visible (end of the delay or of the visibility timeout). */
  availableAt: number;
  receiveCount: number;
  firstReceiveAt?: number;
  /** The receipt handle of the latest receive; only it deletes the message. */
  receiptHandle?: string;
  deadLetterQueueSourceArn?: string;
}

interface Queue {
  name: string;
  url: string;
  arn: string;
  attributes: Record<string, string>;
  tags: Record<string, string>;
  createdAt: number;
  modifiedAt: number;
  /** Insertion-ordered, so a receive takes the oldest visible messages first. */
  messages: Map<string, StoredMessage>;
}

interface MappingState {
  mapping: EventSourceMapping;
  inFlight: number;
  /** Virtual time at which the mapping started waiting for a fuller batch. */
  windowStart?: number;
}

const DEFAULT_ATTRIBUTES: Record<string, string> = {
  DelaySeconds: '0',
  VisibilityTimeout: '30',
  MessageRetentionPeriod: '345600',
  ReceiveMessageWaitTimeSeconds: '0',
  MaximumMessageSize: '262144',
  SqsManagedSseEnabled: 'true',
};

/** Settable attributes and their integer ranges (undefined range: free-form string). */
const SETTABLE_ATTRIBUTES: Record<string, [number, number] | undefined> = {
  DelaySeconds: [0, MAX_DELAY_SECONDS],
  VisibilityTimeout: [0, MAX_VISIBILITY_TIMEOUT],
  MessageRetentionPeriod: [60, 1_209_600],
  ReceiveMessageWaitTimeSeconds: [0, 20],
  MaximumMessageSize: [1024, 1_048_576],
  KmsDataKeyReusePeriodSeconds: [60, 86_400],
  RedrivePolicy: undefined,
  RedriveAllowPolicy: undefined,
  Policy: undefined,
  KmsMasterKeyId: undefined,
  SqsManagedSseEnabled: undefined,
};

const READ_ONLY_ATTRIBUTES = [
  'QueueArn',
  'ApproximateNumberOfMessages',
  'ApproximateNumberOfMessagesNotVisible',
  'ApproximateNumberOfMessagesDelayed',
  'CreatedTimestamp',
  'LastModifiedTimestamp',
];

const SYSTEM_ATTRIBUTE_NAMES = [
  'SenderId',
  'SentTimestamp',
  'ApproximateReceiveCount',
  'ApproximateFirstReceiveTimestamp',
  'AWSTraceHeader',
  'DeadLetterQueueSourceArn',
];

function sqsError(code: string, message: string, status = 400): AwsError {
  return new AwsError(`${ERROR_NAMESPACE}${code}`, message, status);
}

function invalidParameter(message: string): AwsError {
  return sqsError('InvalidParameterValue', message);
}

function queueDoesNotExist(): AwsError {
  return sqsError('QueueDoesNotExist', 'The specified queue does not exist.');
}

export function md5Hex(data: string | Buffer): string {
  return createHash('md5').update(data).digest('hex');
}

/**
 * MD5 of message attributes per the SQS algorithm: attributes sorted by name; for each, the name, the data type
 * (each as a 4-byte big-endian length then UTF-8 bytes), one transport byte (1 string/number, 2 binary) and the value
 * (length-prefixed UTF-8 or raw bytes). Undefined when there are no attributes.
 */
export function md5OfMessageAttributes(
  attributes: Record<string, MessageAttributeValue>,
): string | undefined {
  const names = Object.keys(attributes).sort();
  if (names.length === 0) return undefined;
  const parts: Buffer[] = [];
  const pushLengthPrefixed = (bytes: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(bytes.length);
    parts.push(length, bytes);
  };
  for (const name of names) {
    const attribute = attributes[name];
    if (!attribute) continue;
    pushLengthPrefixed(Buffer.from(name, 'utf8'));
    pushLengthPrefixed(Buffer.from(attribute.DataType, 'utf8'));
    if (attribute.DataType.startsWith('Binary')) {
      parts.push(Buffer.from([2]));
      pushLengthPrefixed(Buffer.from(attribute.BinaryValue ?? '', 'base64'));
    } else {
      parts.push(Buffer.from([1]));
      pushLengthPrefixed(Buffer.from(attribute.StringValue ?? '', 'utf8'));
    }
  }
  return md5Hex(Buffer.concat(parts));
}

// ---------- input helpers ----------

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function optionalString(input: Record<string, unknown>, key: string): string | undefined {
  const value = input[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw invalidParameter(`Value for parameter ${key} must be a string.`);
  return value;
}

function requiredString(input: Record<string, unknown>, key: string): string {
  const value = optionalString(input, key);
  if (value === undefined) {
    throw sqsError('MissingParameter', `The request must contain the parameter ${key}.`);
  }
  return value;
}

function optionalInteger(
  input: Record<string, unknown>,
  key: string,
  min: number,
  max: number,
  reason = `Must be between ${min} and ${max}, if provided.`,
): number | undefined {
  const raw = input[key];
  if (raw === undefined || raw === null) return undefined;
  const value = typeof raw === 'string' && /^-?\d+$/.test(raw) ? Number(raw) : raw;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalidParameter(`Value ${String(raw)} for parameter ${key} is invalid. Reason: ${reason}`);
  }
  return value;
}

function stringList(input: Record<string, unknown>, key: string): string[] {
  const value = input[key];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'string')) {
    throw invalidParameter(`Value for parameter ${key} must be a list of strings.`);
  }
  return value as string[];
}

function stringMap(input: Record<string, unknown>, key: string): Record<string, string> {
  const value = input[key];
  if (value === undefined || value === null) return {};
  if (!isRecord(value)) throw invalidParameter(`Value for parameter ${key} must be a map.`);
  const result: Record<string, string> = {};
  for (const [name, item] of Object.entries(value)) {
    if (typeof item !== 'string') throw invalidParameter(`Value for ${key}.${name} must be a string.`);
    result[name] = item;
  }
  return result;
}

/** XML 1.0 characters SQS accepts in a body: #x9 #xA #xD #x20-#xD7FF #xE000-#xFFFD #x10000-#x10FFFF. */
function hasInvalidCharacters(text: string): boolean {
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    const ok =
      code === 0x9 ||
      code === 0xa ||
      code === 0xd ||
      (code >= 0x20 && code <= 0xd7ff) ||
      (code >= 0xe000 && code <= 0xfffd) ||
      (code >= 0x10000 && code <= 0x10ffff);
    if (!ok) return true;
  }
  return false;
}

function parseMessageAttributes(
  value: unknown,
  what = 'MessageAttributes',
): Record<string, MessageAttributeValue> {
  if (value === undefined || value === null) return {};
  if (!isRecord(value)) throw invalidParameter(`${what} must be a map.`);
  const names = Object.keys(value);
  if (names.length > 10) {
    throw invalidParameter(
      `Number of message attributes [${names.length}] exceeds the allowed maximum [10].`,
    );
  }
  const result: Record<string, MessageAttributeValue> = {};
  for (const name of names) {
    const attribute = value[name];
    if (
      name.length === 0 ||
      name.length > 256 ||
      !/^[A-Za-z0-9_.-]+$/.test(name) ||
      name.startsWith('.') ||
      name.endsWith('.') ||
      name.includes('..') ||
      /^(aws\.|amazon\.)/i.test(name)
    ) {
      throw invalidParameter(`Message attribute name '${name}' is invalid.`);
    }
    if (!isRecord(attribute) || typeof attribute.DataType !== 'string') {
      throw invalidParameter(`The message attribute '${name}' must contain a non-empty attribute type.`);
    }
    const dataType = attribute.DataType;
    const baseType = dataType.split('.')[0];
    if (baseType !== 'String' && baseType !== 'Number' && baseType !== 'Binary') {
      throw invalidParameter(
        `The message attribute '${name}' has an invalid message attribute type '${dataType}'.`,
      );
    }
    const stored: MessageAttributeValue = { DataType: dataType };
    if (baseType === 'Binary') {
      if (typeof attribute.BinaryValue !== 'string' || attribute.BinaryValue.length === 0) {
        throw invalidParameter(`The message attribute '${name}' with type 'Binary' must use field 'Binary'.`);
      }
      stored.BinaryValue = attribute.BinaryValue;
    } else {
      if (typeof attribute.StringValue !== 'string' || attribute.StringValue.length === 0) {
        throw invalidParameter(
          `The message attribute '${name}' must contain a non-empty message attribute value.`,
        );
      }
      if (baseType === 'Number' && !Number.isFinite(Number(attribute.StringValue))) {
        throw invalidParameter(`Can't cast the value of message (user) attribute '${name}' to a number.`);
      }
      stored.StringValue = attribute.StringValue;
    }
    result[name] = stored;
  }
  return result;
}

function attributesSize(attributes: Record<string, MessageAttributeValue>): number {
  let size = 0;
  for (const [name, attribute] of Object.entries(attributes)) {
    size += Buffer.byteLength(name) + Buffer.byteLength(attribute.DataType);
    size += attribute.BinaryValue
      ? Buffer.from(attribute.BinaryValue, 'base64').length
      : Buffer.byteLength(attribute.StringValue ?? '');
  }
  return size;
}

function encodeReceiptHandle(queueName: string, messageId: string): string {
  return Buffer.from(JSON.stringify([queueName, messageId, randomUUID()]), 'utf8').toString('base64');
}

function decodeReceiptHandle(handle: string): { queueName: string; messageId: string } {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(handle, 'base64').toString('utf8'));
    if (Array.isArray(parsed) && parsed.length === 3 && parsed.every((part) => typeof part === 'string')) {
      return { queueName: parsed[0] as string, messageId: parsed[1] as string };
    }
  } catch {
    // fall through
  }
  throw sqsError(
    'ReceiptHandleIsInvalid',
    `The input receipt handle "${handle}" is not a valid receipt handle.`,
    404,
  );
}

interface RedrivePolicy {
  deadLetterTargetArn: string;
  maxReceiveCount: number;
}

function parseRedrivePolicy(raw: string): RedrivePolicy | undefined {
  if (raw === '') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw sqsError(
      'InvalidAttributeValue',
      'Invalid value for the parameter RedrivePolicy. Reason: Invalid JSON.',
    );
  }
  if (!isRecord(parsed)) {
    throw sqsError('InvalidAttributeValue', 'Invalid value for the parameter RedrivePolicy.');
  }
  const arn = parsed.deadLetterTargetArn;
  const count =
    typeof parsed.maxReceiveCount === 'string' ? Number(parsed.maxReceiveCount) : parsed.maxReceiveCount;
  if (typeof arn !== 'string' || !arn.startsWith('arn:')) {
    throw sqsError(
      'InvalidAttributeValue',
      'Value for parameter RedrivePolicy is invalid. Reason: Redrive policy does not contain a valid deadLetterTargetArn.',
    );
  }
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 1 || count > 1000) {
    throw sqsError(
      'InvalidAttributeValue',
      'Value for parameter RedrivePolicy is invalid. Reason: Invalid value for maxReceiveCount: must be 1 to 1000.',
    );
  }
  return { deadLetterTargetArn: arn, maxReceiveCount: count };
}

type BatchFailures = Set<string> | 'all';

/**
 * Reads `batchItemFailures` as Lambda does: no response / empty list means success; malformed JSON, an empty or
 * unknown itemIdentifier means the whole batch failed.
 */
function parseBatchItemFailures(payload: unknown, messageIds: Set<string>): BatchFailures {
  let response = payload;
  if (typeof response === 'string') {
    if (response.trim() === '') return new Set();
    try {
      response = JSON.parse(response);
    } catch {
      return 'all';
    }
  }
  if (response === undefined || response === null || !isRecord(response)) return new Set();
  const failures = response.batchItemFailures;
  if (failures === undefined || failures === null) return new Set();
  if (!Array.isArray(failures)) return 'all';
  const result = new Set<string>();
  for (const failure of failures) {
    const id = isRecord(failure) ? failure.itemIdentifier : undefined;
    if (typeof id !== 'string' || id === '' || !messageIds.has(id)) return 'all';
    result.add(id);
  }
  return result;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Resolves `{'Fn::GetAtt': [Id, Attr]}` / `{'Fn::GetAtt': 'Id.Attr'}` / `{Ref: Id}` to the logical id. */
function logicalIdOf(value: unknown): string | undefined {
  if (!isRecord(value)) return undefined;
  const getAtt = value['Fn::GetAtt'];
  if (Array.isArray(getAtt) && typeof getAtt[0] === 'string') return getAtt[0];
  if (typeof getAtt === 'string') return getAtt.split('.')[0];
  if (typeof value.Ref === 'string') return value.Ref;
  return undefined;
}

export class SqsEmulator {
  readonly handle: OperationHandler;

  private readonly clock: VirtualClock;
  private readonly baseUrl: string;
  private readonly invoker: LambdaInvoker;
  private readonly pollIntervalMs: number;
  private readonly queues = new Map<string, Queue>();
  private readonly mappings: MappingState[] = [];
  private poller: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(opts: {
    clock: VirtualClock;
    baseUrl: string;
    invoker: LambdaInvoker;
    pollIntervalMs?: number;
  }) {
    this.clock = opts.clock;
    this.baseUrl = opts.baseUrl.replace(/\/+$/, '');
    this.invoker = opts.invoker;
    this.pollIntervalMs = opts.pollIntervalMs ?? 20;
    this.handle = (operation, input) => this.dispatch(operation, isRecord(input) ? input : {});
  }

  // ---------- programmatic API ----------

  /** Creates the queue, or updates the attributes of an existing one. */
  createQueue(name: string, attributes: Record<string, string> = {}): { url: string; arn: string } {
    const existing = this.queues.get(name);
    if (existing) {
      this.applyAttributes(existing, attributes);
      return { url: existing.url, arn: existing.arn };
    }
    const queue = this.newQueue(name, attributes, {});
    return { url: queue.url, arn: queue.arn };
  }

  /** Sends a message to the queue with this ARN (EventBridge/Scheduler targets, Lambda destinations, DLQs). */
  sendToArn(
    queueArn: string,
    body: string,
    delaySeconds?: number,
    messageAttributes?: Record<string, MessageAttributeValue>,
  ): string {
    const queue = this.queueByArn(queueArn);
    if (!queue) throw queueDoesNotExist();
    return this.enqueue(queue, body, delaySeconds, messageAttributes ?? {}, {}).messageId;
  }

  addEventSourceMapping(m: Partial<EventSourceMapping> & { queueArn: string; functionName: string }): void {
    const mapping: EventSourceMapping = {
      queueArn: m.queueArn,
      functionName: m.functionName,
      batchSize: m.batchSize ?? 10,
      maximumBatchingWindowSeconds: m.maximumBatchingWindowSeconds ?? 0,
      maximumConcurrency: m.maximumConcurrency ?? 5,
      reportBatchItemFailures: m.reportBatchItemFailures ?? false,
      enabled: m.enabled ?? true,
    };
    if (!Number.isInteger(mapping.batchSize) || mapping.batchSize < 1 || mapping.batchSize > 10_000) {
      throw new AwsError('InvalidParameterValueException', 'BatchSize must be between 1 and 10000.');
    }
    if (mapping.maximumBatchingWindowSeconds < 0 || mapping.maximumBatchingWindowSeconds > 300) {
      throw new AwsError(
        'InvalidParameterValueException',
        'MaximumBatchingWindowInSeconds must be 0 to 300.',
      );
    }
    if (
      !Number.isInteger(mapping.maximumConcurrency) ||
      mapping.maximumConcurrency < 2 ||
      mapping.maximumConcurrency > 1000
    ) {
      throw new AwsError('InvalidParameterValueException', 'MaximumConcurrency must be between 2 and 1000.');
    }
    this.mappings.push({ mapping, inFlight: 0 });
    this.startPoller();
  }

  eventSourceMappings(): EventSourceMapping[] {
    return this.mappings.map((state) => ({ ...state.mapping }));
  }

  /**
   * Creates the `AWS::SQS::Queue` resources of a CloudFormation template (QueueName, else
   * `queueNameForLogicalId`, else the logical id) and its `AWS::Lambda::EventSourceMapping` resources.
   */
  loadTemplate(
    // biome-ignore lint/suspicious/noExplicitAny: a CloudFormation template is free-form JSON
    template: any,
    functionNameForLogicalId: (logicalId: string) => string | undefined,
    queueNameForLogicalId?: (logicalId: string) => string,
  ): { queues: number; mappings: number } {
    const resources: Record<string, unknown> = isRecord(template?.Resources) ? template.Resources : {};
    const queueNames = new Map<string, string>();
    const redrives: Array<[string, Record<string, unknown>]> = [];
    let queues = 0;
    let mappings = 0;

    for (const [logicalId, resource] of Object.entries(resources)) {
      if (!isRecord(resource) || resource.Type !== 'AWS::SQS::Queue') continue;
      const props = isRecord(resource.Properties) ? resource.Properties : {};
      const name =
        typeof props.QueueName === 'string' && !props.QueueName.includes('${')
          ? props.QueueName
          : (queueNameForLogicalId?.(logicalId) ?? logicalId);
      const attributes: Record<string, string> = {};
      for (const key of Object.keys(SETTABLE_ATTRIBUTES)) {
        const value = props[key];
        if (key === 'RedrivePolicy') continue;
        if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
          attributes[key] = String(value);
        } else if (key === 'RedriveAllowPolicy' && isRecord(value)) {
          attributes[key] = JSON.stringify(value);
        }
      }
      if (props.FifoQueue === true || props.FifoQueue === 'true') {
        console.warn(`[sandbox] sqs: FIFO queue ${logicalId} skipped (only standard queues are emulated)`);
        continue;
      }
      try {
        const queue = this.queues.get(name) ?? this.newQueue(name, {}, {});
        this.applyAttributes(queue, attributes);
        if (Array.isArray(props.Tags)) {
          for (const tag of props.Tags) {
            if (isRecord(tag) && typeof tag.Key === 'string' && typeof tag.Value === 'string') {
              queue.tags[tag.Key] = tag.Value;
            }
          }
        }
      } catch (error) {
        console.warn(`[sandbox] sqs: queue ${logicalId} skipped: ${(error as Error).message}`);
        continue;
      }
      queueNames.set(logicalId, name);
      queues++;
      if (props.RedrivePolicy !== undefined) {
        let policy: unknown = props.RedrivePolicy;
        if (typeof policy === 'string') {
          try {
            policy = JSON.parse(policy);
          } catch {
            policy = undefined;
          }
        }
        if (isRecord(policy)) redrives.push([name, policy]);
        else console.warn(`[sandbox] sqs: RedrivePolicy of ${logicalId} skipped (not a JSON object)`);
      }
    }

    const arnOf = (value: unknown): string | undefined => {
      if (typeof value === 'string') return value.startsWith('arn:') ? value : undefined;
      const logicalId = logicalIdOf(value);
      const name = logicalId ? queueNames.get(logicalId) : undefined;
      return name ? this.queues.get(name)?.arn : undefined;
    };

    for (const [name, policy] of redrives) {
      const queue = this.queues.get(name);
      const deadLetterTargetArn = arnOf(policy.deadLetterTargetArn);
      if (!queue || !deadLetterTargetArn) {
        console.warn(`[sandbox] sqs: RedrivePolicy of ${name} skipped (dead-letter target not resolved)`);
        continue;
      }
      this.applyAttributes(queue, {
        RedrivePolicy: JSON.stringify({
          deadLetterTargetArn,
          maxReceiveCount: Number(policy.maxReceiveCount),
        }),
      });
    }

    for (const [logicalId, resource] of Object.entries(resources)) {
      if (!isRecord(resource) || resource.Type !== 'AWS::Lambda::EventSourceMapping') continue;
      const props = isRecord(resource.Properties) ? resource.Properties : {};
      const queueArn = arnOf(props.EventSourceArn);
      if (!queueArn?.startsWith('arn:aws:sqs:')) continue;
      let functionName: string | undefined;
      if (typeof props.FunctionName === 'string') {
        functionName = props.FunctionName.includes(':function:')
          ? props.FunctionName.split(':function:')[1]?.split(':')[0]
          : props.FunctionName;
      } else {
        const lambdaId = logicalIdOf(props.FunctionName);
        functionName = lambdaId ? functionNameForLogicalId(lambdaId) : undefined;
      }
      if (!functionName) {
        console.warn(`[sandbox] sqs: event source mapping ${logicalId} skipped (function not resolved)`);
        continue;
      }
      const scaling = isRecord(props.ScalingConfig) ? props.ScalingConfig : {};
      const responseTypes = Array.isArray(props.FunctionResponseTypes) ? props.FunctionResponseTypes : [];
      const num = (value: unknown): number | undefined =>
        value === undefined || value === null || value === '' ? undefined : Number(value);
      this.addEventSourceMapping({
        queueArn,
        functionName,
        batchSize: num(props.BatchSize),
        maximumBatchingWindowSeconds: num(props.MaximumBatchingWindowInSeconds),
        maximumConcurrency: num(scaling.MaximumConcurrency),
        reportBatchItemFailures: responseTypes.includes('ReportBatchItemFailures'),
        enabled: props.Enabled === undefined ? true : props.Enabled === true || props.Enabled === 'true',
      });
      mappings++;
    }
    return { queues, mappings };
  }

  queueStats(name: string): QueueStats {
    const queue = this.queues.get(name);
    if (!queue) throw queueDoesNotExist();
    return this.stats(queue);
  }

  /** Every message still in the queue (visible, in flight or delayed), oldest first, without receiving it. */
  peekMessages(name: string): PeekedMessage[] {
    const queue = this.queues.get(name);
    if (!queue) throw queueDoesNotExist();
    this.expire(queue);
    return [...queue.messages.values()].map((message) => ({
      messageId: message.messageId,
      body: message.body,
      receiveCount: message.receiveCount,
      messageAttributes: { ...message.messageAttributes },
      sentTimestamp: message.sentAt,
      ...(message.deadLetterQueueSourceArn
        ? { deadLetterQueueSourceArn: message.deadLetterQueueSourceArn }
        : {}),
    }));
  }

  /**
   * Resolves when no mapping has a batch in flight and no visible message waits for a mapping that would take it
   * now (a mapping still filling its batching window waits on the virtual clock, like a delayed message).
   * Rejects after `timeoutMs` of real time.
   */
  async idle(timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      this.poll();
      if (this.isIdle()) return;
      if (this.stopped) return;
      if (Date.now() > deadline) {
        const busy = this.mappings
          .filter((m) => m.inFlight > 0)
          .map((m) => `${m.mapping.queueArn.split(':').pop()} ${m.inFlight} batches in flight`);
        throw new Error(
          `SqsEmulator.idle: still busy after ${timeoutMs} ms (${busy.join(', ') || 'messages ready'})`,
        );
      }
      await sleep(Math.max(1, Math.min(this.pollIntervalMs, 10)));
    }
  }

  stop(): void {
    this.stopped = true;
    if (this.poller) clearInterval(this.poller);
    this.poller = undefined;
  }

  // ---------- wire operations ----------

  private async dispatch(operation: string, input: Record<string, unknown>): Promise<unknown> {
    switch (operation) {
      case 'CreateQueue':
        return this.opCreateQueue(input);
      case 'GetQueueUrl':
        return this.opGetQueueUrl(input);
      case 'GetQueueAttributes':
        return this.opGetQueueAttributes(input);
      case 'SetQueueAttributes':
        this.applyAttributes(this.queueFromInput(input), stringMap(input, 'Attributes'));
        return {};
      case 'ListQueues':
        return this.opListQueues(input);
      case 'DeleteQueue':
        this.queues.delete(this.queueFromInput(input).name);
        return {};
      case 'PurgeQueue':
        this.queueFromInput(input).messages.clear();
        return {};
      case 'SendMessage':
        return this.opSendMessage(input);
      case 'SendMessageBatch':
        return this.opSendMessageBatch(input);
      case 'ReceiveMessage':
        return this.opReceiveMessage(input);
      case 'DeleteMessage':
        this.deleteByHandle(this.queueFromInput(input), requiredString(input, 'ReceiptHandle'));
        return {};
      case 'DeleteMessageBatch':
        return this.batch(input, (queue, entry) =>
          this.deleteByHandle(queue, requiredString(entry, 'ReceiptHandle')),
        );
      case 'ChangeMessageVisibility': {
        const queue = this.queueFromInput(input);
        const timeout = optionalInteger(input, 'VisibilityTimeout', 0, MAX_VISIBILITY_TIMEOUT);
        if (timeout === undefined) {
          throw sqsError('MissingParameter', 'The request must contain the parameter VisibilityTimeout.');
        }
        this.changeVisibility(queue, requiredString(input, 'ReceiptHandle'), timeout);
        return {};
      }
      case 'ChangeMessageVisibilityBatch':
        return this.batch(input, (queue, entry) => {
          const timeout = optionalInteger(entry, 'VisibilityTimeout', 0, MAX_VISIBILITY_TIMEOUT) ?? 0;
          this.changeVisibility(queue, requiredString(entry, 'ReceiptHandle'), timeout);
        });
      case 'ListQueueTags':
        return { Tags: { ...this.queueFromInput(input).tags } };
      case 'TagQueue':
        Object.assign(this.queueFromInput(input).tags, stringMap(input, 'Tags'));
        return {};
      case 'UntagQueue': {
        const queue = this.queueFromInput(input);
        for (const key of stringList(input, 'TagKeys')) delete queue.tags[key];
        return {};
      }
      case 'ListDeadLetterSourceQueues': {
        const target = this.queueFromInput(input);
        const urls = [...this.queues.values()]
          .filter((queue) => this.redrivePolicy(queue)?.deadLetterTargetArn === target.arn)
          .map((queue) => queue.url);
        return { queueUrls: urls };
      }
      default:
        throw new AwsError(
          'com.amazon.coral.service#UnknownOperationException',
          `The sandbox SQS does not support the operation ${operation}.`,
        );
    }
  }

  private opCreateQueue(input: Record<string, unknown>): unknown {
    const name = requiredString(input, 'QueueName');
    const attributes = stringMap(input, 'Attributes');
    const tags = stringMap(input, 'tags');
    const existing = this.queues.get(name);
    if (existing) {
      for (const [key, value] of Object.entries(attributes)) {
        const current = existing.attributes[key] ?? DEFAULT_ATTRIBUTES[key];
        if (current !== value) {
          throw sqsError(
            'QueueNameExists',
            `A queue already exists with the same name and a different value for attribute ${key}`,
          );
        }
      }
      return { QueueUrl: existing.url };
    }
    return { QueueUrl: this.newQueue(name, attributes, tags).url };
  }

  private opGetQueueUrl(input: Record<string, unknown>): unknown {
    const name = requiredString(input, 'QueueName');
    const owner = optionalString(input, 'QueueOwnerAWSAccountId');
    const queue = this.queues.get(name);
    if (!queue || (owner !== undefined && owner !== ACCOUNT_ID)) throw queueDoesNotExist();
    return { QueueUrl: queue.url };
  }

  private opGetQueueAttributes(input: Record<string, unknown>): unknown {
    const queue = this.queueFromInput(input);
    const requested = stringList(input, 'AttributeNames');
    const all = this.allAttributes(queue);
    const result: Record<string, string> = {};
    for (const name of requested) {
      if (name === 'All') {
        Object.assign(result, all);
        continue;
      }
      if (!(name in SETTABLE_ATTRIBUTES) && !READ_ONLY_ATTRIBUTES.includes(name)) {
        throw sqsError('InvalidAttributeName', `Unknown Attribute ${name}.`);
      }
      const value = all[name];
      if (value !== undefined) result[name] = value;
    }
    return Object.keys(result).length > 0 ? { Attributes: result } : {};
  }

  private opListQueues(input: Record<string, unknown>): unknown {
    const prefix = optionalString(input, 'QueueNamePrefix') ?? '';
    const maxResults = optionalInteger(input, 'MaxResults', 1, 1000);
    const token = optionalString(input, 'NextToken');
    const urls = [...this.queues.values()]
      .filter((queue) => queue.name.startsWith(prefix))
      .map((queue) => queue.url)
      .sort();
    let start = 0;
    if (token !== undefined) {
      start = Number(Buffer.from(token, 'base64').toString('utf8'));
      if (!Number.isInteger(start) || start < 0) throw invalidParameter('Invalid NextToken value.');
    }
    if (maxResults === undefined) {
      return urls.length > 0 ? { QueueUrls: urls.slice(0, 1000) } : {};
    }
    const page = urls.slice(start, start + maxResults);
    const next =
      start + maxResults < urls.length
        ? Buffer.from(String(start + maxResults)).toString('base64')
        : undefined;
    return { ...(page.length > 0 ? { QueueUrls: page } : {}), ...(next ? { NextToken: next } : {}) };
  }

  private opSendMessage(input: Record<string, unknown>): unknown {
    const queue = this.queueFromInput(input);
    const body = requiredString(input, 'MessageBody');
    const delay = optionalInteger(
      input,
      'DelaySeconds',
      0,
      MAX_DELAY_SECONDS,
      'Must be >= 0 and <= 900, if provided.',
    );
    const attributes = parseMessageAttributes(input.MessageAttributes);
    const systemAttributes = parseMessageAttributes(input.MessageSystemAttributes, 'MessageSystemAttributes');
    const message = this.enqueue(queue, body, delay, attributes, systemAttributes);
    return this.sendResult(message);
  }

  private opSendMessageBatch(input: Record<string, unknown>): unknown {
    const queue = this.queueFromInput(input);
    const entries = this.batchEntries(input);
    const Successful: unknown[] = [];
    const Failed: unknown[] = [];
    let totalSize = 0;
    for (const entry of entries) {
      totalSize += Buffer.byteLength(typeof entry.MessageBody === 'string' ? entry.MessageBody : '');
    }
    const maxSize = Number(queue.attributes.MaximumMessageSize);
    if (totalSize > maxSize) {
      throw sqsError('BatchRequestTooLong', `Batch requests cannot be longer than ${maxSize} bytes.`);
    }
    for (const entry of entries) {
      const id = entry.Id as string;
      try {
        const body = requiredString(entry, 'MessageBody');
        const delay = optionalInteger(
          entry,
          'DelaySeconds',
          0,
          MAX_DELAY_SECONDS,
          'Must be >= 0 and <= 900, if provided.',
        );
        const attributes = parseMessageAttributes(entry.MessageAttributes);
        const systemAttributes = parseMessageAttributes(
          entry.MessageSystemAttributes,
          'MessageSystemAttributes',
        );
        const message = this.enqueue(queue, body, delay, attributes, systemAttributes);
        Successful.push({ Id: id, ...this.sendResult(message) });
      } catch (error) {
        if (!(error instanceof AwsError)) throw error;
        Failed.push({
          Id: id,
          SenderFault: true,
          Code: error.code.replace(ERROR_NAMESPACE, ''),
          Message: error.message,
        });
      }
    }
    return { Successful, Failed };
  }

  private async opReceiveMessage(input: Record<string, unknown>): Promise<unknown> {
    const queue = this.queueFromInput(input);
    const max = optionalInteger(input, 'MaxNumberOfMessages', 1, 10) ?? 1;
    const visibility =
      optionalInteger(input, 'VisibilityTimeout', 0, MAX_VISIBILITY_TIMEOUT) ??
      Number(queue.attributes.VisibilityTimeout);
    const wait =
      optionalInteger(input, 'WaitTimeSeconds', 0, 20) ??
      Number(queue.attributes.ReceiveMessageWaitTimeSeconds ?? 0);
    const systemNames = [
      ...stringList(input, 'AttributeNames'),
      ...stringList(input, 'MessageSystemAttributeNames'),
    ];
    const attributeNames = stringList(input, 'MessageAttributeNames');

    let received = this.receive(queue, max, visibility);
    if (received.length === 0 && wait > 0) {
      // Long polling: wait (real time) until a message is visible or the wait elapses on the virtual clock.
      const deadline = this.clock.now() + wait * 1000;
      while (received.length === 0 && !this.stopped && this.queues.get(queue.name) === queue) {
        if (this.clock.now() >= deadline) break;
        await sleep(Math.max(5, Math.min(this.pollIntervalMs, 50)));
        received = this.receive(queue, max, visibility);
      }
    }
    if (received.length === 0) return {};
    return {
      Messages: received.map(({ message, receiptHandle }) => {
        const attributes = this.systemAttributesOf(message, systemNames);
        const messageAttributes = this.selectMessageAttributes(message, attributeNames);
        const md5Attributes = md5OfMessageAttributes(messageAttributes);
        return {
          MessageId: message.messageId,
          ReceiptHandle: receiptHandle,
          MD5OfBody: message.md5OfBody,
          Body: message.body,
          ...(Object.keys(attributes).length > 0 ? { Attributes: attributes } : {}),
          ...(md5Attributes
            ? { MD5OfMessageAttributes: md5Attributes, MessageAttributes: messageAttributes }
            : {}),
        };
      }),
    };
  }

  private batchEntries(input: Record<string, unknown>): Record<string, unknown>[] {
    const entries = input.Entries;
    if (entries === undefined || (Array.isArray(entries) && entries.length === 0)) {
      throw sqsError(
        'EmptyBatchRequest',
        'There should be at least one SendMessageBatchRequestEntry in the request.',
      );
    }
    if (!Array.isArray(entries) || entries.some((entry) => !isRecord(entry))) {
      throw invalidParameter('Entries must be a list of structures.');
    }
    if (entries.length > MAX_BATCH_ENTRIES) {
      throw sqsError(
        'TooManyEntriesInBatchRequest',
        `Maximum number of entries per request are ${MAX_BATCH_ENTRIES}. You have sent ${entries.length}.`,
      );
    }
    const ids = new Set<string>();
    for (const entry of entries as Record<string, unknown>[]) {
      const id = entry.Id;
      if (typeof id !== 'string' || !/^[A-Za-z0-9_-]{1,80}$/.test(id)) {
        throw sqsError(
          'InvalidBatchEntryId',
          'A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.',
        );
      }
      if (ids.has(id)) throw sqsError('BatchEntryIdsNotDistinct', `Id ${id} repeated.`);
      ids.add(id);
    }
    return entries as Record<string, unknown>[];
  }

  /** DeleteMessageBatch / ChangeMessageVisibilityBatch: per-entry Successful / Failed. */
  private batch(
    input: Record<string, unknown>,
    apply: (queue: Queue, entry: Record<string, unknown>) => void,
  ): { Successful: unknown[]; Failed: unknown[] } {
    const queue = this.queueFromInput(input);
    const entries = this.batchEntries(input);
    const Successful: unknown[] = [];
    const Failed: unknown[] = [];
    for (const entry of entries) {
      try {
        apply(queue, entry);
        Successful.push({ Id: entry.Id });
      } catch (error) {
        if (!(error instanceof AwsError)) throw error;
        Failed.push({
          Id: entry.Id,
          SenderFault: true,
          Code: error.code.replace(ERROR_NAMESPACE, ''),
          Message: error.message,
        });
      }
    }
    return { Successful, Failed };
  }

  private sendResult(message: StoredMessage): Record<string, string> {
    const md5Attributes = md5OfMessageAttributes(message.messageAttributes);
    const md5System = md5OfMessageAttributes(message.systemAttributes);
    return {
      MessageId: message.messageId,
      MD5OfMessageBody: message.md5OfBody,
      ...(md5Attributes ? { MD5OfMessageAttributes: md5Attributes } : {}),
      ...(md5System ? { MD5OfMessageSystemAttributes: md5System } : {}),
    };
  }

  // ---------- queue model ----------

  private newQueue(name: string, attributes: Record<string, string>, tags: Record<string, string>): Queue {
    if (name.endsWith('.fifo') || attributes.FifoQueue === 'true') {
      throw sqsError('UnsupportedOperation', 'FIFO queues are not supported by the sandbox.');
    }
    if (!/^[A-Za-z0-9_-]{1,80}$/.test(name)) {
      throw invalidParameter(
        'Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length',
      );
    }
    const now = this.clock.now();
    const queue: Queue = {
      name,
      url: `${this.baseUrl}/${ACCOUNT_ID}/${name}`,
      arn: `arn:aws:sqs:${REGION}:${ACCOUNT_ID}:${name}`,
      attributes: { ...DEFAULT_ATTRIBUTES },
      tags: { ...tags },
      createdAt: now,
      modifiedAt: now,
      messages: new Map(),
    };
    this.applyAttributes(queue, attributes);
    this.queues.set(name, queue);
    return queue;
  }

  private applyAttributes(queue: Queue, attributes: Record<string, string>): void {
    const validated: Record<string, string> = {};
    for (const [key, value] of Object.entries(attributes)) {
      if (key === 'FifoQueue' || key === 'ContentBasedDeduplication') {
        if (value === 'false') continue;
        throw sqsError('InvalidAttributeName', `The sandbox SQS does not support the attribute ${key}.`);
      }
      if (!(key in SETTABLE_ATTRIBUTES)) throw sqsError('InvalidAttributeName', `Unknown Attribute ${key}.`);
      const range = SETTABLE_ATTRIBUTES[key];
      if (range) {
        const number = /^\d+$/.test(value) ? Number(value) : Number.NaN;
        if (!(number >= range[0] && number <= range[1])) {
          throw sqsError('InvalidAttributeValue', `Invalid value for the parameter ${key}.`);
        }
      }
      if (key === 'RedrivePolicy') {
        const policy = parseRedrivePolicy(value);
        if (policy) {
          const target = this.queueByArn(policy.deadLetterTargetArn);
          if (!target) {
            throw sqsError(
              'InvalidParameterValue',
              `Value ${value} for parameter RedrivePolicy is invalid. Reason: Dead letter target does not exist.`,
            );
          }
          validated[key] = JSON.stringify(policy);
          continue;
        }
      }
      validated[key] = value;
    }
    for (const [key, value] of Object.entries(validated)) {
      if (key === 'RedrivePolicy' && value === '') delete queue.attributes[key];
      else queue.attributes[key] = value;
    }
    queue.modifiedAt = this.clock.now();
  }

  private allAttributes(queue: Queue): Record<string, string> {
    const stats = this.stats(queue);
    return {
      QueueArn: queue.arn,
      ApproximateNumberOfMessages: String(stats.visible),
      ApproximateNumberOfMessagesNotVisible: String(stats.inFlight),
      ApproximateNumberOfMessagesDelayed: String(stats.delayed),
      CreatedTimestamp: String(Math.floor(queue.createdAt / 1000)),
      LastModifiedTimestamp: String(Math.floor(queue.modifiedAt / 1000)),
      ...queue.attributes,
    };
  }

  private redrivePolicy(queue: Queue): RedrivePolicy | undefined {
    const raw = queue.attributes.RedrivePolicy;
    return raw ? parseRedrivePolicy(raw) : undefined;
  }

  private queueByArn(arn: string): Queue | undefined {
    const name = arn.split(':')[5];
    const queue = name ? this.queues.get(name) : undefined;
    return queue && queue.arn === arn ? queue : undefined;
  }

  /** Finds the queue of `QueueUrl`, whatever its host: the path is `/<account>/<name>`. */
  private queueFromInput(input: Record<string, unknown>): Queue {
    const url = requiredString(input, 'QueueUrl');
    let path: string;
    try {
      path = new URL(url).pathname;
    } catch {
      path = url;
    }
    const [account, name, ...rest] = path.split('/').filter((part) => part !== '');
    const queue = name ? this.queues.get(decodeURIComponent(name)) : undefined;
    if (!queue || account !== ACCOUNT_ID || rest.length > 0) throw queueDoesNotExist();
    return queue;
  }

  private enqueue(
    queue: Queue,
    body: string,
    delaySeconds: number | undefined,
    messageAttributes: Record<string, MessageAttributeValue>,
    systemAttributes: Record<string, MessageAttributeValue>,
  ): StoredMessage {
    if (body.length === 0) throw invalidParameter('The request must contain the parameter MessageBody.');
    if (hasInvalidCharacters(body)) {
      throw sqsError(
        'InvalidMessageContents',
        'Invalid characters found. Valid unicode characters are #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF',
      );
    }
    const maxSize = Number(queue.attributes.MaximumMessageSize);
    const size = Buffer.byteLength(body) + attributesSize(messageAttributes);
    if (size > maxSize) {
      throw invalidParameter(
        `One or more parameters are invalid. Reason: Message must be shorter than ${maxSize} bytes.`,
      );
    }
    if (delaySeconds !== undefined && (delaySeconds < 0 || delaySeconds > MAX_DELAY_SECONDS)) {
      throw invalidParameter(
        `Value ${delaySeconds} for parameter DelaySeconds is invalid. Reason: Must be >= 0 and <= 900, if provided.`,
      );
    }
    const now = this.clock.now();
    const delay = delaySeconds ?? Number(queue.attributes.DelaySeconds);
    const message: StoredMessage = {
      messageId: randomUUID(),
      body,
      md5OfBody: md5Hex(body),
      messageAttributes,
      systemAttributes,
      sentAt: now,
      availableAt: now + delay * 1000,
      receiveCount: 0,
    };
    queue.messages.set(message.messageId, message);
    return message;
  }

  private expire(queue: Queue): void {
    const now = this.clock.now();
    const retentionMs = Number(queue.attributes.MessageRetentionPeriod) * 1000;
    for (const [id, message] of queue.messages) {
      if (message.sentAt + retentionMs <= now) queue.messages.delete(id);
    }
  }

  private stats(queue: Queue): QueueStats {
    this.expire(queue);
    const now = this.clock.now();
    const stats: QueueStats = { visible: 0, inFlight: 0, delayed: 0 };
    for (const message of queue.messages.values()) {
      if (message.availableAt <= now) stats.visible++;
      else if (message.receiveCount === 0) stats.delayed++;
      else stats.inFlight++;
    }
    return stats;
  }

  /**
   * Receives up to `max` visible messages, oldest first. A message whose receive count already reached the
   * redrive policy's maxReceiveCount moves to the dead-letter queue instead of being delivered again.
   */
  private receive(
    queue: Queue,
    max: number,
    visibilitySeconds: number,
  ): Array<{ message: StoredMessage; receiptHandle: string }> {
    this.expire(queue);
    const now = this.clock.now();
    const redrive = this.redrivePolicy(queue);
    const deadLetterQueue = redrive ? this.queueByArn(redrive.deadLetterTargetArn) : undefined;
    const received: Array<{ message: StoredMessage; receiptHandle: string }> = [];
    for (const message of [...queue.messages.values()]) {
      if (received.length >= max) break;
      if (message.availableAt > now) continue;
      if (
        redrive &&
        deadLetterQueue &&
        deadLetterQueue !== queue &&
        message.receiveCount >= redrive.maxReceiveCount
      ) {
        queue.messages.delete(message.messageId);
        message.availableAt = now;
        message.receiptHandle = undefined;
        message.deadLetterQueueSourceArn = queue.arn;
        deadLetterQueue.messages.set(message.messageId, message);
        continue;
      }
      message.receiveCount++;
      message.firstReceiveAt ??= now;
      message.availableAt = now + visibilitySeconds * 1000;
      message.receiptHandle = encodeReceiptHandle(queue.name, message.messageId);
      received.push({ message, receiptHandle: message.receiptHandle });
    }
    return received;
  }

  private deleteByHandle(queue: Queue, receiptHandle: string): void {
    const { queueName, messageId } = decodeReceiptHandle(receiptHandle);
    if (queueName !== queue.name) {
      throw sqsError(
        'ReceiptHandleIsInvalid',
        `The input receipt handle "${receiptHandle}" is not a valid receipt handle.`,
        404,
      );
    }
    const message = queue.messages.get(messageId);
    // A stale handle (the message was received again since) succeeds without deleting, as SQS may do.
    if (message && message.receiptHandle === receiptHandle) queue.messages.delete(messageId);
  }

  private changeVisibility(queue: Queue, receiptHandle: string, timeoutSeconds: number): void {
    const { queueName, messageId } = decodeReceiptHandle(receiptHandle);
    const message = queueName === queue.name ? queue.messages.get(messageId) : undefined;
    if (!message || message.receiptHandle !== receiptHandle) {
      throw invalidParameter(
        `Value ${receiptHandle} for parameter ReceiptHandle is invalid. Reason: Message does not exist or is not available for visibility timeout change.`,
      );
    }
    const now = this.clock.now();
    if (message.availableAt <= now) {
      throw sqsError('MessageNotInflight', 'The message referred to is not in flight.');
    }
    message.availableAt = now + timeoutSeconds * 1000;
  }

  private systemAttributesOf(message: StoredMessage, names: string[]): Record<string, string> {
    const all: Record<string, string> = {
      SenderId: SENDER_ID,
      SentTimestamp: String(message.sentAt),
      ApproximateReceiveCount: String(message.receiveCount),
      ApproximateFirstReceiveTimestamp: String(message.firstReceiveAt ?? message.sentAt),
    };
    const traceHeader = message.systemAttributes.AWSTraceHeader?.StringValue;
    if (traceHeader) all.AWSTraceHeader = traceHeader;
    if (message.deadLetterQueueSourceArn) all.DeadLetterQueueSourceArn = message.deadLetterQueueSourceArn;
    if (names.includes('All')) return all;
    const result: Record<string, string> = {};
    for (const name of names) {
      const value = all[name];
      if (value !== undefined && SYSTEM_ATTRIBUTE_NAMES.includes(name)) result[name] = value;
    }
    return result;
  }

  private selectMessageAttributes(
    message: StoredMessage,
    names: string[],
  ): Record<string, MessageAttributeValue> {
    const result: Record<string, MessageAttributeValue> = {};
    for (const [name, value] of Object.entries(message.messageAttributes)) {
      const wanted = names.some((pattern) => {
        if (pattern === 'All' || pattern === '.*') return true;
        if (pattern.endsWith('.*')) return name.startsWith(pattern.slice(0, -1));
        return pattern === name;
      });
      if (wanted) result[name] = { ...value };
    }
    return result;
  }

  // ---------- event source mappings ----------

  private startPoller(): void {
    if (this.poller || this.stopped) return;
    this.poller = setInterval(() => this.poll(), this.pollIntervalMs);
    this.poller.unref();
  }

  private poll(): void {
    if (this.stopped) return;
    for (const state of this.mappings) this.pollMapping(state);
  }

  /** Whether the mapping would take a batch now (visible messages and no batching window still filling). */
  private readyToDispatch(state: MappingState, queue: Queue, consume: boolean): boolean {
    const visible = this.stats(queue).visible;
    if (visible === 0) {
      if (consume) state.windowStart = undefined;
      return false;
    }
    const { batchSize, maximumBatchingWindowSeconds } = state.mapping;
    if (visible < batchSize && maximumBatchingWindowSeconds > 0) {
      const now = this.clock.now();
      const start = state.windowStart ?? now;
      if (consume) state.windowStart = start;
      if (now - start < maximumBatchingWindowSeconds * 1000) return false;
    }
    return true;
  }

  private pollMapping(state: MappingState): void {
    const { mapping } = state;
    if (!mapping.enabled) return;
    const queue = this.queueByArn(mapping.queueArn);
    if (!queue) return;
    while (state.inFlight < mapping.maximumConcurrency) {
      if (!this.readyToDispatch(state, queue, true)) return;
      state.windowStart = undefined;
      const batch = this.receive(queue, mapping.batchSize, Number(queue.attributes.VisibilityTimeout));
      if (batch.length === 0) continue;
      state.inFlight++;
      void this.invokeBatch(mapping, queue, batch).finally(() => {
        state.inFlight--;
      });
    }
  }

  private async invokeBatch(
    mapping: EventSourceMapping,
    queue: Queue,
    batch: Array<{ message: StoredMessage; receiptHandle: string }>,
  ): Promise<void> {
    const records = batch.map(({ message, receiptHandle }) => {
      const md5Attributes = md5OfMessageAttributes(message.messageAttributes);
      return {
        messageId: message.messageId,
        receiptHandle,
        body: message.body,
        attributes: this.systemAttributesOf(message, ['All']),
        messageAttributes: Object.fromEntries(
          Object.entries(message.messageAttributes).map(([name, value]) => [
            name,
            {
              ...(value.StringValue !== undefined ? { stringValue: value.StringValue } : {}),
              ...(value.BinaryValue !== undefined ? { binaryValue: value.BinaryValue } : {}),
              stringListValues: [],
              binaryListValues: [],
              dataType: value.DataType,
            },
          ]),
        ),
        md5OfBody: message.md5OfBody,
        ...(md5Attributes ? { md5OfMessageAttributes: md5Attributes } : {}),
        eventSource: 'aws:sqs',
        eventSourceARN: queue.arn,
        awsRegion: REGION,
      };
    });
    let result: InvokeResult;
    try {
      result = await this.invoker.invoke(mapping.functionName, { Records: records });
    } catch (error) {
      result = { ok: false, error: error instanceof Error ? error.message : String(error) };
    }
    // On a function error the whole batch stays in flight and returns after the visibility timeout.
    if (!result.ok) return;
    const ids = new Set(batch.map(({ message }) => message.messageId));
    const failures = mapping.reportBatchItemFailures
      ? parseBatchItemFailures(result.payload, ids)
      : new Set<string>();
    if (failures === 'all') return;
    for (const { message, receiptHandle } of batch) {
      if (failures.has(message.messageId)) continue;
      const current = queue.messages.get(message.messageId);
      if (current && current.receiptHandle === receiptHandle) queue.messages.delete(message.messageId);
    }
  }

  private isIdle(): boolean {
    for (const state of this.mappings) {
      if (state.inFlight > 0) return false;
      if (!state.mapping.enabled) continue;
      const queue = this.queueByArn(state.mapping.queueArn);
      if (queue && this.readyToDispatch(state, queue, false)) return false;
    }
    return true;
  }
}
