/**
 * EventBridge Scheduler for the sandbox: the rest-json API (schedules and schedule groups) and the firing of
 * rate(), cron() and at() schedules on the virtual clock.
 */
import { randomUUID } from 'node:crypto';
import { nextCronOccurrence, nextFireTimes, wallTimeToUtc } from '../src/domain/scheduleEngine';
import {
  validateScheduleExpression as checkScheduleExpression,
  isValidTimezone,
  type ParsedScheduleExpression,
  parseScheduleExpression,
} from '../src/domain/scheduleExpression';
import { ACCOUNT_ID, AwsError, REGION, type TimerHandle, type VirtualClock } from './core';

export interface ScheduleTarget {
  Arn: string;
  RoleArn: string;
  Input?: string;
  RetryPolicy?: { MaximumEventAgeInSeconds?: number; MaximumRetryAttempts?: number };
  DeadLetterConfig?: { Arn?: string };
  SqsParameters?: { MessageGroupId?: string };
  EcsParameters?: Record<string, unknown>;
  EventBridgeParameters?: { DetailType: string; Source: string };
  /** Other target parameters (Kinesis, SageMaker, ...) are kept as given. */
  [key: string]: unknown;
}

export interface Schedule {
  Name: string;
  GroupName: string;
  Arn: string;
  ScheduleExpression: string;
  ScheduleExpressionTimezone?: string;
  /** Epoch milliseconds. */
  StartDate?: number;
  /** Epoch milliseconds. */
  EndDate?: number;
  Description?: string;
  State: 'ENABLED' | 'DISABLED';
  FlexibleTimeWindow: { Mode: 'OFF' | 'FLEXIBLE'; MaximumWindowInMinutes?: number };
  Target: ScheduleTarget;
  ActionAfterCompletion: 'NONE' | 'DELETE';
  KmsKeyArn?: string;
  /** Epoch milliseconds (virtual clock). */
  CreationDate: number;
  /** Epoch milliseconds (virtual clock). */
  LastModificationDate: number;
}

/** What a delivery is about: the schedule and the occurrence (scheduled time on the virtual clock). */
export interface DeliveryContext {
  scheduleArn: string;
  scheduleName: string;
  groupName: string;
  scheduledTime: Date;
  executionId: string;
  attemptNumber: number;
}

/**
 * Delivers a target (the sandbox routes SQS ARNs to SqsEmulator.sendToArn, and so on). A returned promise that
 * rejects, like a throw, is logged.
 */
export type DeliverTarget = (target: ScheduleTarget, context: DeliveryContext) => unknown;

export interface RestResponse {
  status: number;
  body: unknown;
  /** `x-amzn-errortype` on errors (the body also carries `__type`, for servers that ignore these headers). */
  headers?: Record<string, string>;
}

// ---------- schedule expressions (validation: src/domain/scheduleExpression; fire times: src/domain/scheduleEngine) ----------

export { isValidTimezone, nextFireTimes };

/** Undefined when `expression` is a valid Scheduler expression, else why not (in the Scheduler's wording). */
export function validateScheduleExpression(expression: string): string | undefined {
  const rule = checkScheduleExpression(expression);
  return rule === undefined ? undefined : `Invalid Schedule Expression ${expression}: ${rule}`;
}

// ---------- the emulator ----------

const NAME_PATTERN = /^[0-9a-zA-Z\-_.]{1,64}$/;
const ROLE_ARN_PATTERN = /^arn:aws[a-z-]*:iam::\d{12}:role\/.+/;
const DEFAULT_GROUP = 'default';

interface ScheduleState {
  schedule: Schedule;
  parsed: ParsedScheduleExpression;
  seq: number;
  /** Virtual time of the creation, or of the last update (rate() counts from it when there is no StartDate). */
  activatedAt: number;
  /** Occurrences strictly after this instant are still to come. */
  cursor: number;
  fired: boolean;
  nextAt?: number;
}

interface ScheduleGroup {
  Name: string;
  Arn: string;
  CreationDate: number;
  LastModificationDate: number;
  tags: Record<string, string>;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function validation(message: string): AwsError {
  return new AwsError('ValidationException', message, 400);
}

function notFound(message: string): AwsError {
  return new AwsError('ResourceNotFoundException', message, 404);
}

function seconds(ms: number): number {
  return ms / 1000;
}

function parseTimestamp(value: unknown, member: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  const ms =
    typeof value === 'number' ? value * 1000 : typeof value === 'string' ? Date.parse(value) : Number.NaN;
  if (!Number.isFinite(ms)) throw validation(`Invalid value for ${member}.`);
  return ms;
}

function optionalString(body: Record<string, unknown>, member: string, max: number): string | undefined {
  const value = body[member];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || value.length > max) {
    throw validation(`1 validation error detected: Value at '${member}' failed to satisfy constraint.`);
  }
  return value;
}

function enumValue<T extends string>(value: unknown, allowed: readonly T[], member: string, fallback: T): T {
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw validation(
      `1 validation error detected: Value '${String(value)}' at '${member}' failed to satisfy constraint: Member must satisfy enum value set: [${allowed.join(', ')}]`,
    );
  }
  return value as T;
}

function integerIn(value: unknown, min: number, max: number, member: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw validation(
      `1 validation error detected: Value '${String(value)}' at '${member}' failed to satisfy constraint: Member must be between ${min} and ${max}`,
    );
  }
  return value;
}

function validateName(name: string, member: string): void {
  if (!NAME_PATTERN.test(name)) {
    throw validation(
      `1 validation error detected: Value '${name}' at '${member}' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[0-9a-zA-Z-_.]+$ and have length between 1 and 64`,
    );
  }
}

function parseTarget(value: unknown): ScheduleTarget {
  if (!isRecord(value))
    throw validation(
      "1 validation error detected: Value null at 'target' failed to satisfy constraint: Member must not be null",
    );
  const arn = value.Arn;
  if (typeof arn !== 'string' || arn.length === 0 || arn.length > 1600) {
    throw validation(
      "1 validation error detected: Value at 'target.arn' failed to satisfy constraint: Member must not be null",
    );
  }
  const roleArn = value.RoleArn;
  if (typeof roleArn !== 'string' || !ROLE_ARN_PATTERN.test(roleArn)) {
    throw validation(
      `1 validation error detected: Value '${String(roleArn)}' at 'target.roleArn' failed to satisfy constraint: Member must satisfy regular expression pattern: ^arn:aws[a-z-]*:iam::\\d{12}:role\\/[\\w+=,.@/-]+$`,
    );
  }
  if (value.Input !== undefined && (typeof value.Input !== 'string' || value.Input.length === 0)) {
    throw validation(
      "1 validation error detected: Value at 'target.input' failed to satisfy constraint: Member must have length greater than or equal to 1",
    );
  }
  if (value.RetryPolicy !== undefined) {
    if (!isRecord(value.RetryPolicy)) throw validation('RetryPolicy must be a structure.');
    integerIn(
      value.RetryPolicy.MaximumEventAgeInSeconds,
      60,
      86_400,
      'target.retryPolicy.maximumEventAgeInSeconds',
    );
    integerIn(value.RetryPolicy.MaximumRetryAttempts, 0, 185, 'target.retryPolicy.maximumRetryAttempts');
  }
  if (value.DeadLetterConfig !== undefined) {
    const dlq = isRecord(value.DeadLetterConfig) ? value.DeadLetterConfig.Arn : undefined;
    if (dlq !== undefined && (typeof dlq !== 'string' || !/^arn:aws[a-z-]*:sqs:/.test(dlq))) {
      throw validation(
        "1 validation error detected: Value at 'target.deadLetterConfig.arn' failed to satisfy constraint: Member must be an SQS queue ARN",
      );
    }
  }
  if (value.EcsParameters !== undefined) {
    const ecs = value.EcsParameters;
    if (!isRecord(ecs) || typeof ecs.TaskDefinitionArn !== 'string' || ecs.TaskDefinitionArn.length === 0) {
      throw validation(
        "1 validation error detected: Value null at 'target.ecsParameters.taskDefinitionArn' failed to satisfy constraint: Member must not be null",
      );
    }
    integerIn(ecs.TaskCount, 1, 10, 'target.ecsParameters.taskCount');
  }
  return JSON.parse(JSON.stringify(value)) as ScheduleTarget;
}

function substituteContext(input: string, context: DeliveryContext): string {
  return input
    .replaceAll('<aws.scheduler.schedule-arn>', context.scheduleArn)
    .replaceAll(
      '<aws.scheduler.scheduled-time>',
      context.scheduledTime.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    )
    .replaceAll('<aws.scheduler.execution-id>', context.executionId)
    .replaceAll('<aws.scheduler.attempt-number>', String(context.attemptNumber));
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

function page<T>(items: T[], query: URLSearchParams): { items: T[]; nextToken?: string } {
  const max = query.get('MaxResults');
  const maxResults = max === null ? 100 : Number(max);
  if (!Number.isInteger(maxResults) || maxResults < 1 || maxResults > 100) {
    throw validation(
      `1 validation error detected: Value '${max}' at 'maxResults' failed to satisfy constraint: Member must be between 1 and 100`,
    );
  }
  const token = query.get('NextToken');
  const start = token === null ? 0 : Number(Buffer.from(token, 'base64').toString('utf8'));
  if (!Number.isInteger(start) || start < 0) throw validation('Invalid NextToken.');
  const end = start + maxResults;
  return {
    items: items.slice(start, end),
    ...(end < items.length ? { nextToken: Buffer.from(String(end)).toString('base64') } : {}),
  };
}

export class SchedulerEmulator {
  private readonly clock: VirtualClock;
  private readonly deliver: DeliverTarget;
  private readonly rateFirstFire: 'immediately' | 'afterOnePeriod';
  private readonly schedules = new Map<string, ScheduleState>();
  private readonly groups = new Map<string, ScheduleGroup>();
  private timer: TimerHandle | undefined;
  private seq = 0;

  /**
   * `rateFirstFire`: a rate() schedule without StartDate first fires when it is created ('immediately', as the
   * Scheduler user guide says) or one period later ('afterOnePeriod').
   */
  constructor(opts: {
    clock: VirtualClock;
    deliver: DeliverTarget;
    rateFirstFire?: 'immediately' | 'afterOnePeriod';
  }) {
    this.clock = opts.clock;
    this.deliver = opts.deliver;
    this.rateFirstFire = opts.rateFirstFire ?? 'immediately';
    const now = this.clock.now();
    this.groups.set(DEFAULT_GROUP, this.newGroup(DEFAULT_GROUP, now));
  }

  /** Routes one rest-json request; errors come back as rest-json error responses, never as throws. */
  async handleRest(
    method: string,
    path: string,
    query: URLSearchParams,
    body: unknown,
  ): Promise<RestResponse> {
    try {
      return { status: 200, body: this.route(method.toUpperCase(), path, query, isRecord(body) ? body : {}) };
    } catch (error) {
      if (error instanceof AwsError) {
        return {
          status: error.status,
          body: { __type: error.code, Message: error.message, ...error.extra },
          headers: { 'x-amzn-errortype': error.code },
        };
      }
      console.error('[sandbox] scheduler failed', error);
      return {
        status: 500,
        body: { __type: 'InternalServerException', Message: 'Internal error' },
        headers: { 'x-amzn-errortype': 'InternalServerException' },
      };
    }
  }

  getSchedule(name: string, groupName = DEFAULT_GROUP): Schedule | undefined {
    const state = this.schedules.get(this.key(groupName, name));
    return state ? structuredClone(state.schedule) : undefined;
  }

  listSchedules(): Schedule[] {
    return [...this.schedules.values()].map((state) => structuredClone(state.schedule));
  }

  /** Virtual time of the next occurrence of a schedule, if any (for tests and the sandbox console). */
  nextFireTime(name: string, groupName = DEFAULT_GROUP): Date | undefined {
    const next = this.schedules.get(this.key(groupName, name))?.nextAt;
    return next === undefined ? undefined : new Date(next);
  }

  stop(): void {
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  // ---------- routing ----------

  private route(
    method: string,
    path: string,
    query: URLSearchParams,
    body: Record<string, unknown>,
  ): unknown {
    const segments = (path.split('?')[0] ?? '').split('/').filter((segment) => segment !== '');
    const [resource, ...rest] = segments;
    const name = rest.length === 1 && rest[0] !== undefined ? decodeSegment(rest[0]) : undefined;
    if (resource === 'schedules') {
      if (rest.length === 0 && method === 'GET') return this.listSchedulesOp(query);
      if (name !== undefined) {
        if (method === 'POST') return this.createSchedule(name, body);
        if (method === 'GET') return this.getScheduleOp(name, query.get('groupName') ?? DEFAULT_GROUP);
        if (method === 'PUT') return this.updateSchedule(name, body);
        if (method === 'DELETE') return this.deleteSchedule(name, query.get('groupName') ?? DEFAULT_GROUP);
      }
    } else if (resource === 'schedule-groups') {
      if (rest.length === 0 && method === 'GET') return this.listGroups(query);
      if (name !== undefined) {
        if (method === 'POST') return this.createGroup(name, body);
        if (method === 'GET') return this.groupSummary(this.group(name));
        if (method === 'DELETE') return this.deleteGroup(name);
      }
    } else if (resource === 'tags' && rest.length > 0) {
      const arn = decodeSegment(rest.join('/'));
      const group = [...this.groups.values()].find((candidate) => candidate.Arn === arn);
      if (!group) throw notFound(`Resource ${arn} does not exist.`);
      if (method === 'GET') {
        return { Tags: Object.entries(group.tags).map(([Key, Value]) => ({ Key, Value })) };
      }
      if (method === 'POST') {
        this.applyTags(group, body.Tags);
        return {};
      }
      if (method === 'DELETE') {
        for (const key of query.getAll('TagKeys')) delete group.tags[key];
        return {};
      }
    }
    throw new AwsError('UnknownOperationException', `No operation matches ${method} ${path}.`, 404);
  }

  // ---------- schedules ----------

  private key(groupName: string, name: string): string {
    return `${groupName}/${name}`;
  }

  private arnOf(groupName: string, name: string): string {
    return `arn:aws:scheduler:${REGION}:${ACCOUNT_ID}:schedule/${groupName}/${name}`;
  }

  private group(name: string): ScheduleGroup {
    const group = this.groups.get(name);
    if (!group) throw notFound(`Schedule group ${name} does not exist.`);
    return group;
  }

  /** Validates a CreateSchedule / UpdateSchedule body into a schedule (dates left to the caller). */
  private parseSchedule(
    name: string,
    body: Record<string, unknown>,
    now: number,
  ): { schedule: Schedule; parsed: ParsedScheduleExpression } {
    validateName(name, 'name');
    const groupName = optionalString(body, 'GroupName', 64) ?? DEFAULT_GROUP;
    validateName(groupName, 'groupName');
    const expression = body.ScheduleExpression;
    if (typeof expression !== 'string' || expression.length === 0 || expression.length > 256) {
      throw validation(
        "1 validation error detected: Value at 'scheduleExpression' failed to satisfy constraint: Member must have length between 1 and 256",
      );
    }
    const parsed = parseScheduleExpression(expression);
    if (typeof parsed === 'string') throw validation(`Invalid Schedule Expression ${expression}.`);
    const timezone = optionalString(body, 'ScheduleExpressionTimezone', 50);
    if (timezone !== undefined && !isValidTimezone(timezone)) {
      throw validation(`Invalid ScheduleExpressionTimezone ${timezone}.`);
    }
    const window = body.FlexibleTimeWindow;
    if (!isRecord(window)) {
      throw validation(
        "1 validation error detected: Value null at 'flexibleTimeWindow' failed to satisfy constraint: Member must not be null",
      );
    }
    const mode = enumValue(window.Mode, ['OFF', 'FLEXIBLE'] as const, 'flexibleTimeWindow.mode', 'OFF');
    if (window.Mode === undefined) {
      throw validation(
        "1 validation error detected: Value null at 'flexibleTimeWindow.mode' failed to satisfy constraint: Member must not be null",
      );
    }
    const maxWindow = integerIn(
      window.MaximumWindowInMinutes,
      1,
      1440,
      'flexibleTimeWindow.maximumWindowInMinutes',
    );
    if (mode === 'FLEXIBLE' && maxWindow === undefined) {
      throw validation('MaximumWindowInMinutes is required when the FlexibleTimeWindow Mode is FLEXIBLE.');
    }
    if (mode === 'OFF' && maxWindow !== undefined) {
      throw validation('MaximumWindowInMinutes must not be set when the FlexibleTimeWindow Mode is OFF.');
    }
    const target = parseTarget(body.Target);
    const startDate = parseTimestamp(body.StartDate, 'StartDate');
    const endDate = parseTimestamp(body.EndDate, 'EndDate');
    if (startDate !== undefined && endDate !== undefined && endDate <= startDate) {
      throw validation('The EndDate must be after the StartDate.');
    }
    const description = optionalString(body, 'Description', 512);
    const kmsKeyArn = optionalString(body, 'KmsKeyArn', 2048);
    this.group(groupName);
    const schedule: Schedule = {
      Name: name,
      GroupName: groupName,
      Arn: this.arnOf(groupName, name),
      ScheduleExpression: expression,
      ...(timezone !== undefined ? { ScheduleExpressionTimezone: timezone } : {}),
      ...(startDate !== undefined ? { StartDate: startDate } : {}),
      ...(endDate !== undefined ? { EndDate: endDate } : {}),
      ...(description !== undefined ? { Description: description } : {}),
      State: enumValue(body.State, ['ENABLED', 'DISABLED'] as const, 'state', 'ENABLED'),
      FlexibleTimeWindow: {
        Mode: mode,
        ...(maxWindow !== undefined ? { MaximumWindowInMinutes: maxWindow } : {}),
      },
      Target: target,
      ActionAfterCompletion: enumValue(
        body.ActionAfterCompletion,
        ['NONE', 'DELETE'] as const,
        'actionAfterCompletion',
        'NONE',
      ),
      ...(kmsKeyArn !== undefined ? { KmsKeyArn: kmsKeyArn } : {}),
      CreationDate: now,
      LastModificationDate: now,
    };
    return { schedule, parsed };
  }

  private createSchedule(name: string, body: Record<string, unknown>): unknown {
    const now = this.clock.now();
    const { schedule, parsed } = this.parseSchedule(name, body, now);
    const key = this.key(schedule.GroupName, name);
    if (this.schedules.has(key))
      throw new AwsError('ConflictException', `Schedule ${name} already exists.`, 409);
    const state: ScheduleState = {
      schedule,
      parsed,
      seq: this.seq++,
      activatedAt: now,
      cursor: now - 1,
      fired: false,
    };
    this.schedules.set(key, state);
    state.nextAt = this.computeNext(state);
    this.rearm();
    return { ScheduleArn: schedule.Arn };
  }

  private updateSchedule(name: string, body: Record<string, unknown>): unknown {
    const now = this.clock.now();
    const groupName = optionalString(body, 'GroupName', 64) ?? DEFAULT_GROUP;
    const key = this.key(groupName, name);
    const existing = this.schedules.get(key);
    if (!existing) throw notFound(`Schedule ${name} does not exist.`);
    const { schedule, parsed } = this.parseSchedule(name, body, now);
    schedule.CreationDate = existing.schedule.CreationDate;
    const state: ScheduleState = {
      schedule,
      parsed,
      seq: existing.seq,
      activatedAt: now,
      cursor: now - 1,
      fired: false,
    };
    this.schedules.set(key, state);
    state.nextAt = this.computeNext(state);
    this.rearm();
    return { ScheduleArn: schedule.Arn };
  }

  private deleteSchedule(name: string, groupName: string): unknown {
    if (!this.schedules.delete(this.key(groupName, name))) throw notFound(`Schedule ${name} does not exist.`);
    this.rearm();
    return {};
  }

  private getScheduleOp(name: string, groupName: string): unknown {
    const state = this.schedules.get(this.key(groupName, name));
    if (!state) throw notFound(`Schedule ${name} does not exist.`);
    const s = state.schedule;
    return {
      Arn: s.Arn,
      GroupName: s.GroupName,
      Name: s.Name,
      ScheduleExpression: s.ScheduleExpression,
      ...(s.ScheduleExpressionTimezone !== undefined
        ? { ScheduleExpressionTimezone: s.ScheduleExpressionTimezone }
        : {}),
      ...(s.StartDate !== undefined ? { StartDate: seconds(s.StartDate) } : {}),
      ...(s.EndDate !== undefined ? { EndDate: seconds(s.EndDate) } : {}),
      ...(s.Description !== undefined ? { Description: s.Description } : {}),
      State: s.State,
      CreationDate: seconds(s.CreationDate),
      LastModificationDate: seconds(s.LastModificationDate),
      ...(s.KmsKeyArn !== undefined ? { KmsKeyArn: s.KmsKeyArn } : {}),
      Target: structuredClone(s.Target),
      FlexibleTimeWindow: { ...s.FlexibleTimeWindow },
      ActionAfterCompletion: s.ActionAfterCompletion,
    };
  }

  private listSchedulesOp(query: URLSearchParams): unknown {
    const groupName = query.get('ScheduleGroup');
    const prefix = query.get('NamePrefix') ?? '';
    const stateFilter = query.get('State');
    if (stateFilter !== null) enumValue(stateFilter, ['ENABLED', 'DISABLED'] as const, 'state', 'ENABLED');
    const matching = [...this.schedules.values()]
      .map((state) => state.schedule)
      .filter(
        (s) =>
          (groupName === null || s.GroupName === groupName) &&
          s.Name.startsWith(prefix) &&
          (stateFilter === null || s.State === stateFilter),
      )
      .sort((a, b) =>
        a.GroupName === b.GroupName ? a.Name.localeCompare(b.Name) : a.GroupName.localeCompare(b.GroupName),
      );
    const { items, nextToken } = page(matching, query);
    return {
      Schedules: items.map((s) => ({
        Arn: s.Arn,
        Name: s.Name,
        GroupName: s.GroupName,
        State: s.State,
        CreationDate: seconds(s.CreationDate),
        LastModificationDate: seconds(s.LastModificationDate),
        Target: { Arn: s.Target.Arn },
      })),
      ...(nextToken ? { NextToken: nextToken } : {}),
    };
  }

  // ---------- groups ----------

  private newGroup(name: string, now: number): ScheduleGroup {
    return {
      Name: name,
      Arn: `arn:aws:scheduler:${REGION}:${ACCOUNT_ID}:schedule-group/${name}`,
      CreationDate: now,
      LastModificationDate: now,
      tags: {},
    };
  }

  private groupSummary(group: ScheduleGroup): unknown {
    return {
      Arn: group.Arn,
      Name: group.Name,
      State: 'ACTIVE',
      CreationDate: seconds(group.CreationDate),
      LastModificationDate: seconds(group.LastModificationDate),
    };
  }

  private applyTags(group: ScheduleGroup, tags: unknown): void {
    if (tags === undefined) return;
    if (!Array.isArray(tags)) throw validation('Tags must be a list.');
    for (const tag of tags) {
      if (!isRecord(tag) || typeof tag.Key !== 'string' || typeof tag.Value !== 'string') {
        throw validation('Each tag needs a Key and a Value.');
      }
      group.tags[tag.Key] = tag.Value;
    }
  }

  private createGroup(name: string, body: Record<string, unknown>): unknown {
    validateName(name, 'name');
    if (this.groups.has(name))
      throw new AwsError('ConflictException', `Schedule group ${name} already exists.`, 409);
    const group = this.newGroup(name, this.clock.now());
    this.applyTags(group, body.Tags);
    this.groups.set(name, group);
    return { ScheduleGroupArn: group.Arn };
  }

  private deleteGroup(name: string): unknown {
    if (name === DEFAULT_GROUP) throw validation('You cannot delete the default group.');
    this.group(name);
    this.groups.delete(name);
    for (const [key, state] of this.schedules) {
      if (state.schedule.GroupName === name) this.schedules.delete(key);
    }
    this.rearm();
    return {};
  }

  private listGroups(query: URLSearchParams): unknown {
    const prefix = query.get('NamePrefix') ?? '';
    const groups = [...this.groups.values()]
      .filter((group) => group.Name.startsWith(prefix))
      .sort((a, b) => a.Name.localeCompare(b.Name));
    const { items, nextToken } = page(groups, query);
    return {
      ScheduleGroups: items.map((group) => this.groupSummary(group)),
      ...(nextToken ? { NextToken: nextToken } : {}),
    };
  }

  // ---------- firing ----------

  /** The next occurrence strictly after the state's cursor, within [StartDate, EndDate]; undefined when none. */
  private computeNext(state: ScheduleState): number | undefined {
    const { schedule, parsed } = state;
    if (schedule.State !== 'ENABLED') return undefined;
    const timezone = schedule.ScheduleExpressionTimezone ?? 'UTC';
    if (parsed.kind === 'at') {
      // One-time schedules ignore StartDate/EndDate; one already in the past fires at once (UNCERTAIN).
      return state.fired ? undefined : wallTimeToUtc(parsed.wall, timezone);
    }
    let next: number | undefined;
    if (parsed.kind === 'rate') {
      const anchor =
        schedule.StartDate ??
        (this.rateFirstFire === 'afterOnePeriod' ? state.activatedAt + parsed.periodMs : state.activatedAt);
      next =
        state.cursor < anchor
          ? anchor
          : anchor + (Math.floor((state.cursor - anchor) / parsed.periodMs) + 1) * parsed.periodMs;
    } else {
      const after =
        schedule.StartDate !== undefined ? Math.max(state.cursor, schedule.StartDate - 1) : state.cursor;
      next = nextCronOccurrence(parsed, timezone, after);
    }
    if (next === undefined || (schedule.EndDate !== undefined && next > schedule.EndDate)) return undefined;
    return next;
  }

  /** One virtual-clock timer for the earliest due schedule; firing handles every due occurrence in time order. */
  private rearm(): void {
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    let earliest: number | undefined;
    for (const state of this.schedules.values()) {
      if (state.nextAt !== undefined && (earliest === undefined || state.nextAt < earliest))
        earliest = state.nextAt;
    }
    if (earliest !== undefined)
      this.timer = this.clock.setTimeout(() => this.fireDue(), earliest - this.clock.now());
  }

  private fireDue(): void {
    this.timer = undefined;
    for (;;) {
      const now = this.clock.now();
      let due: ScheduleState | undefined;
      for (const state of this.schedules.values()) {
        if (state.nextAt === undefined || state.nextAt > now) continue;
        if (
          !due ||
          state.nextAt < (due.nextAt ?? 0) ||
          (state.nextAt === due.nextAt && state.seq < due.seq)
        ) {
          due = state;
        }
      }
      if (!due || due.nextAt === undefined) break;
      this.fire(due, due.nextAt);
    }
    this.rearm();
  }

  private fire(state: ScheduleState, at: number): void {
    const { schedule } = state;
    state.cursor = at;
    if (state.parsed.kind === 'at') state.fired = true;
    state.nextAt = this.computeNext(state);
    const context: DeliveryContext = {
      scheduleArn: schedule.Arn,
      scheduleName: schedule.Name,
      groupName: schedule.GroupName,
      scheduledTime: new Date(at),
      executionId: randomUUID(),
      attemptNumber: 1,
    };
    const target = structuredClone(schedule.Target);
    if (target.Input !== undefined) target.Input = substituteContext(target.Input, context);
    if (state.nextAt === undefined && schedule.ActionAfterCompletion === 'DELETE') {
      this.schedules.delete(this.key(schedule.GroupName, schedule.Name));
    }
    try {
      const result = this.deliver(target, context);
      if (result instanceof Promise) {
        result.catch((error: unknown) =>
          console.error(`[sandbox] scheduler: delivery of ${schedule.Arn} failed`, error),
        );
      }
    } catch (error) {
      console.error(`[sandbox] scheduler: delivery of ${schedule.Arn} failed`, error);
    }
  }
}
