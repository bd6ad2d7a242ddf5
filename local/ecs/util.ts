/** ARNs, ids, input readers and JSON helpers shared by the ECS emulator modules. */
import { randomBytes, randomInt, randomUUID } from 'node:crypto';
import { ACCOUNT_ID, AwsError, REGION } from '../core';
import type { KeyValue, Tags } from './model';

const PREFIX = `arn:aws:ecs:${REGION}:${ACCOUNT_ID}`;

export const arns = {
  cluster: (name: string) => `${PREFIX}:cluster/${name}`,
  task: (cluster: string, id: string) => `${PREFIX}:task/${cluster}/${id}`,
  container: (cluster: string, taskId: string) => `${PREFIX}:container/${cluster}/${taskId}/${randomUUID()}`,
  taskDefinition: (family: string, revision: number) => `${PREFIX}:task-definition/${family}:${revision}`,
  service: (cluster: string, name: string) => `${PREFIX}:service/${cluster}/${name}`,
  containerInstance: (cluster: string, id: string) => `${PREFIX}:container-instance/${cluster}/${id}`,
  capacityProvider: (name: string) => `${PREFIX}:capacity-provider/${name}`,
  ec2Instance: (id: string) => `arn:aws:ec2:${REGION}:${ACCOUNT_ID}:instance/${id}`,
};

/** The last path segment of an ARN, or the reference itself when it is already a bare id/name. */
export function lastSegment(ref: string): string {
  if (!ref.startsWith('arn:')) return ref;
  const resource = ref.split(':').slice(5).join(':');
  return resource.split('/').pop() ?? resource;
}

/** The resource part after 'arn:aws:ecs:<region>:<account>:', e.g. 'task/sandbox/abc'. */
export function arnResource(ref: string): string | undefined {
  const parts = ref.split(':');
  if (parts.length < 6 || parts[0] !== 'arn' || parts[2] !== 'ecs') return undefined;
  return parts.slice(5).join(':');
}

export const hex32 = () => randomUUID().replace(/-/g, '');
export const hex = (bytes: number) => randomBytes(bytes).toString('hex');
/** A service deployment id: 'ecs-svc/' + 19 digits, as ECS's deployment events show them. */
export const deploymentId = () =>
  `ecs-svc/${randomInt(1, 10)}${String(randomInt(0, 1e9)).padStart(9, '0')}${String(randomInt(0, 1e9)).padStart(9, '0')}`;

export const invalid = (message: string) => new AwsError('InvalidParameterException', message);
export const clientError = (message: string) => new AwsError('ClientException', message);

export type Input = Record<string, unknown>;

function isMissing(value: unknown): value is undefined | null {
  return value === undefined || value === null;
}

export function str(input: Input, key: string): string | undefined {
  const value = input[key];
  if (isMissing(value)) return undefined;
  if (typeof value !== 'string') throw invalid(`${key} must be a string.`);
  return value;
}

export function requiredStr(input: Input, key: string): string {
  const value = str(input, key);
  if (!value) throw invalid(`${key} is required.`);
  return value;
}

export function int(input: Input, key: string): number | undefined {
  const value = input[key];
  if (isMissing(value)) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value)) throw invalid(`${key} must be an integer.`);
  return value;
}

export function bool(input: Input, key: string): boolean | undefined {
  const value = input[key];
  if (isMissing(value)) return undefined;
  if (typeof value !== 'boolean') throw invalid(`${key} must be a boolean.`);
  return value;
}

export function obj(input: Input, key: string): Input | undefined {
  const value = input[key];
  if (isMissing(value)) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) throw invalid(`${key} must be an object.`);
  return value as Input;
}

export function list(input: Input, key: string): unknown[] | undefined {
  const value = input[key];
  if (isMissing(value)) return undefined;
  if (!Array.isArray(value)) throw invalid(`${key} must be a list.`);
  return value;
}

export function strList(input: Input, key: string): string[] | undefined {
  const value = list(input, key);
  if (value?.some((item) => typeof item !== 'string')) throw invalid(`${key} must be a list of strings.`);
  return value as string[] | undefined;
}

export function objList(input: Input, key: string): Input[] | undefined {
  const value = list(input, key);
  if (value?.some((item) => !item || typeof item !== 'object' || Array.isArray(item))) {
    throw invalid(`${key} must be a list of objects.`);
  }
  return value as Input[] | undefined;
}

export function keyValues(input: Input, key: string): KeyValue[] | undefined {
  return objList(input, key)?.map((item) => ({
    name: String(item.name ?? ''),
    value: String(item.value ?? ''),
  }));
}

/** ECS tags: [{key, value}] with lowercase members (the ECS API's Tag shape). */
export function readTags(input: Input, key = 'tags'): Tags {
  const items = objList(input, key) ?? [];
  if (items.length > 50) throw invalid('Tags can have a maximum of 50 items.');
  const tags: Tags = {};
  for (const item of items) {
    const tagKey = item.key;
    const value = item.value ?? '';
    if (typeof tagKey !== 'string' || tagKey.length < 1 || tagKey.length > 128) {
      throw invalid('Tag keys must be between 1 and 128 characters.');
    }
    if (typeof value !== 'string' || value.length > 256)
      throw invalid('Tag values must be at most 256 characters.');
    if (tagKey.toLowerCase().startsWith('aws:'))
      throw invalid("Tag keys beginning with 'aws:' are reserved.");
    tags[tagKey] = value;
  }
  return tags;
}

export const tagList = (tags: Tags) => Object.entries(tags).map(([key, value]) => ({ key, value }));

/** JSON with object keys sorted at every level, so equal parameters compare equal whatever the key order. */
export function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record)
      .filter((key) => !isMissing(record[key]))
      .sort();
    return `{${keys.map((key) => `${JSON.stringify(key)}:${canonical(record[key])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export const clone = <T>(value: T): T => structuredClone(value);

/** Drops undefined members so API and event JSON only carry fields that have a value. */
export function compact<T extends Record<string, unknown>>(record: T): T {
  for (const key of Object.keys(record)) if (record[key] === undefined) delete record[key];
  return record;
}

/** API responses carry epoch seconds (fractional); events carry ISO strings with milliseconds. */
export type TimeFormat = 'api' | 'event';
export function formatTime(ms: number | undefined, form: TimeFormat): number | string | undefined {
  if (ms === undefined) return undefined;
  return form === 'api' ? ms / 1000 : new Date(ms).toISOString();
}

/** Offset-based pagination with an opaque nextToken. */
export function paginate<T>(items: T[], input: Input, defaultMax = 100): { page: T[]; nextToken?: string } {
  const max = int(input, 'maxResults') ?? defaultMax;
  if (max < 1 || max > 100) throw invalid('maxResults must be between 1 and 100.');
  const token = str(input, 'nextToken');
  const start = token
    ? Number(
        Buffer.from(token, 'base64')
          .toString('utf8')
          .replace(/^offset:/, ''),
      )
    : 0;
  if (!Number.isInteger(start) || start < 0) throw invalid('Invalid nextToken.');
  const page = items.slice(start, start + max);
  const next =
    start + max < items.length ? Buffer.from(`offset:${start + max}`).toString('base64') : undefined;
  return next ? { page, nextToken: next } : { page };
}

export function requireArray<T>(value: T[] | undefined, key: string, max: number): T[] {
  if (!value || value.length === 0) throw invalid(`${key} cannot be empty.`);
  if (value.length > max) throw invalid(`${key} can have at most ${max} items.`);
  return value;
}
