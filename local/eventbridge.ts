/**
 * In-memory EventBridge (default event bus): the awsJson1_1 rule and target API (target prefix `AWSEvents`),
 * PutEvents, and delivery of AWS service events (`publish`) to the targets of every enabled matching rule.
 * Lambda targets get the event (or its Input/InputPath/InputTransformer form) through `deliver.lambda`,
 * SQS targets a JSON body through `deliver.sqs`. Other targets (ECS RunTask, ...) are recorded and skipped.
 * Fault injection (`setDelivery`): deliver a fraction of events twice, and hold deliveries for a random
 * time (virtual) so they arrive out of order, as EventBridge's at-least-once delivery allows.
 */
import {
  ACCOUNT_ID,
  AwsError,
  type BusEvent,
  envelope,
  type OperationHandler,
  REGION,
  type VirtualClock,
} from './core';
import { matchesPattern, validatePattern } from './patterns';

/** How targets are reached (the server wires lambda to AsyncLambda.invokeAsync and sqs to the SQS emulator). */
export interface RuleTargetDelivery {
  lambda(functionName: string, event: unknown): void;
  sqs(queueArn: string, body: string): void;
}

export interface EventBridgeStats {
  /** Events put on the bus (publish + accepted PutEvents entries). */
  published: number;
  /** (event, enabled rule) pairs that matched. */
  matched: number;
  /** Deliveries made to Lambda and SQS targets, duplicates included. */
  delivered: number;
  /** Extra copies delivered by the duplicate fault. */
  duplicated: number;
  /** Deliveries to targets the sandbox does not run (ECS RunTask, ...). */
  skipped: number;
  /** Deliveries whose delivery function threw (sent to the target's DLQ when it has one). */
  failed: number;
  /** Deliveries currently held back by the shuffle window. */
  held: number;
}

export interface SkippedDelivery {
  rule: string;
  targetId: string;
  targetArn: string;
  input: unknown;
  ecsParameters?: unknown;
}

interface Target {
  Id: string;
  Arn: string;
  RoleArn?: string;
  Input?: string;
  InputPath?: string;
  InputTransformer?: { InputPathsMap?: Record<string, string>; InputTemplate: string };
  RetryPolicy?: { MaximumRetryAttempts?: number; MaximumEventAgeInSeconds?: number };
  DeadLetterConfig?: { Arn?: string };
  EcsParameters?: Record<string, unknown>;
  SqsParameters?: { MessageGroupId?: string };
  [member: string]: unknown;
}

interface Rule {
  Name: string;
  Arn: string;
  EventBusName: string;
  EventPattern?: string;
  pattern?: unknown;
  ScheduleExpression?: string;
  State: string;
  Description?: string;
  RoleArn?: string;
  targets: Map<string, Target>;
}

type Input = Record<string, unknown>;

const DEFAULT_BUS = 'default';
const RULE_NAME = /^[.\-_A-Za-z0-9]{1,64}$/;
const TARGET_ID = /^[.\-_A-Za-z0-9]{1,64}$/;
const RULE_STATES = new Set(['ENABLED', 'DISABLED', 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS']);
const MAX_RULES_PER_BUS = 300;
const MAX_TARGETS_PER_RULE = 5;
const MAX_TARGETS_PER_CALL = 10;
const MAX_ENTRIES_PER_PUT = 10;
const MAX_PUT_EVENTS_BYTES = 256 * 1024;
const MAX_PATTERN_LENGTH = 4096;

const LAMBDA_ARN = /^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:([A-Za-z0-9_-]+)(?::[A-Za-z0-9$_-]+)?$/;
const SQS_ARN = /^arn:aws[a-z-]*:sqs:[a-z0-9-]+:\d{12}:[A-Za-z0-9_.-]+$/;
const ECS_CLUSTER_ARN = /^arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:cluster\/.+$/;
/** Target services that EventBridge reaches with a role (RoleArn required). */
const ROLE_TARGET = /^arn:aws[a-z-]*:(ecs|states|kinesis|codebuild|codepipeline|batch|events|ssm|firehose):/;

const validation = (message: string) => new AwsError('ValidationException', message, 400);
const notFound = (message: string) => new AwsError('ResourceNotFoundException', message, 400);

export class EventBridgeEmulator {
  private readonly clock: VirtualClock;
  private deliver: RuleTargetDelivery;
  private duplicateRate: number;
  private shuffleWindowMs = 0;
  private readonly random: () => number;
  private readonly rules = new Map<string, Rule>();
  private readonly warned = new Set<string>();
  private readonly skippedLog: SkippedDelivery[] = [];
  private readonly counters: EventBridgeStats = {
    published: 0,
    matched: 0,
    delivered: 0,
    duplicated: 0,
    skipped: 0,
    failed: 0,
    held: 0,
  };

  constructor(opts: {
    clock: VirtualClock;
    deliver: RuleTargetDelivery;
    duplicateRate?: number;
    /** Random source for the faults (default Math.random); inject one for reproducible runs. */
    random?: () => number;
  }) {
    this.clock = opts.clock;
    this.deliver = opts.deliver;
    this.duplicateRate = clampRate(opts.duplicateRate ?? 0);
    this.random = opts.random ?? Math.random;
  }

  /** awsJson1_1 operations; `operation` is the part after `AWSEvents.` (the prefixed form is accepted too). */
  handle: OperationHandler = (operation, input) => {
    const op = operation.startsWith('AWSEvents.') ? operation.slice('AWSEvents.'.length) : operation;
    const body: Input = input ?? {};
    switch (op) {
      case 'PutRule':
        return this.putRule(body);
      case 'DescribeRule':
        return this.describeRule(body);
      case 'ListRules':
        return this.listRules(body);
      case 'DeleteRule':
        return this.deleteRule(body);
      case 'EnableRule':
        return this.setState(body, 'ENABLED');
      case 'DisableRule':
        return this.setState(body, 'DISABLED');
      case 'PutTargets':
        return this.putTargets(body);
      case 'RemoveTargets':
        return this.removeTargets(body);
      case 'ListTargetsByRule':
        return this.listTargetsByRule(body);
      case 'ListRuleNamesByTarget':
        return this.listRuleNamesByTarget(body);
      case 'PutEvents':
        return this.putEvents(body);
      case 'TestEventPattern':
        return this.testEventPattern(body);
      default:
        throw new AwsError(
          'UnknownOperationException',
          `Operation ${op} is not supported by the sandbox.`,
          400,
        );
    }
  };

  /** An AWS service event on the default bus: delivered to every enabled matching rule's targets. */
  publish(event: BusEvent): void {
    this.dispatch(event, DEFAULT_BUS);
  }

  /** Fault injection. duplicateRate: fraction (0..1) of deliveries made twice; shuffleWindowMs: hold each
   * delivery for a random 0..shuffleWindowMs of virtual time, so deliveries arrive in random order. */
  setDelivery(opts: { duplicateRate?: number; shuffleWindowMs?: number }): void {
    if (opts.duplicateRate !== undefined) this.duplicateRate = clampRate(opts.duplicateRate);
    if (opts.shuffleWindowMs !== undefined) this.shuffleWindowMs = Math.max(0, opts.shuffleWindowMs);
  }

  /** Replaces the delivery functions (e.g. when the server wires its emulators after construction). */
  setTargets(deliver: RuleTargetDelivery): void {
    this.deliver = deliver;
  }

  stats(): EventBridgeStats {
    return { ...this.counters };
  }

  /** Deliveries to targets the sandbox does not run (ECS RunTask targets, ...), the latest 1000. */
  skippedDeliveries(): SkippedDelivery[] {
    return [...this.skippedLog];
  }

  /**
   * Reads the AWS::Events::Rule resources of a packaged CloudFormation template (serverless package output).
   * Target ARNs `{'Fn::GetAtt': [<LambdaLogicalId>, 'Arn']}` are resolved with functionNameForLogicalId;
   * other logical ids (e.g. an SQS queue used as target or DLQ) with arnForLogicalId when given. Targets
   * that cannot be resolved are ignored (logged once). Returns the number of rules loaded.
   */
  loadTemplate(
    // biome-ignore lint/suspicious/noExplicitAny: a parsed CloudFormation template is untyped JSON
    template: any,
    functionNameForLogicalId: (logicalId: string) => string | undefined,
    arnForLogicalId?: (logicalId: string) => string | undefined,
  ): number {
    const resources: Record<string, unknown> = isRecord(template?.Resources) ? template.Resources : {};
    const resolve = (value: unknown) => resolveIntrinsic(value, functionNameForLogicalId, arnForLogicalId);
    let loaded = 0;
    for (const [logicalId, resource] of Object.entries(resources)) {
      if (!isRecord(resource) || resource.Type !== 'AWS::Events::Rule') continue;
      const props: Input = isRecord(resource.Properties) ? resource.Properties : {};
      const busName = props.EventBusName === undefined ? DEFAULT_BUS : busNameOf(resolve(props.EventBusName));
      if (busName !== DEFAULT_BUS) {
        this.warnOnce(`bus:${logicalId}`, `rule ${logicalId} is on a custom event bus; not loaded`);
        continue;
      }
      const name = typeof props.Name === 'string' ? props.Name : logicalId;
      let eventPattern: string | undefined;
      if (props.EventPattern !== undefined) {
        eventPattern =
          typeof props.EventPattern === 'string' ? props.EventPattern : JSON.stringify(props.EventPattern);
        const problem = validatePattern(parseJson(eventPattern));
        if (problem) throw new Error(`AWS::Events::Rule ${logicalId}: ${problem}`);
      }
      const rule = this.storeRule({
        Name: name,
        EventBusName: DEFAULT_BUS,
        EventPattern: eventPattern,
        ScheduleExpression:
          typeof props.ScheduleExpression === 'string' ? props.ScheduleExpression : undefined,
        State: typeof props.State === 'string' ? props.State : 'ENABLED',
        Description: typeof props.Description === 'string' ? props.Description : undefined,
        RoleArn: optionalString(resolve(props.RoleArn)),
      });
      const targets = Array.isArray(props.Targets) ? props.Targets : [];
      for (const raw of targets) {
        if (!isRecord(raw) || typeof raw.Id !== 'string') continue;
        const arn = resolve(raw.Arn);
        if (arn === undefined) {
          this.warnOnce(
            `target:${JSON.stringify(raw.Arn)}`,
            `cannot resolve target ${JSON.stringify(raw.Arn)} of rule ${name}; target ignored`,
          );
          continue;
        }
        const target: Target = { ...(raw as Input), Id: raw.Id, Arn: arn };
        if (raw.RoleArn !== undefined) {
          target.RoleArn = resolve(raw.RoleArn) ?? `arn:aws:iam::${ACCOUNT_ID}:role/unresolved`;
        }
        if (isRecord(raw.DeadLetterConfig)) {
          const dlq = resolve(raw.DeadLetterConfig.Arn);
          if (dlq) target.DeadLetterConfig = { Arn: dlq };
          else {
            delete target.DeadLetterConfig;
            this.warnOnce(
              `dlq:${JSON.stringify(raw.DeadLetterConfig.Arn)}`,
              `cannot resolve dead-letter queue ${JSON.stringify(raw.DeadLetterConfig.Arn)} of rule ${name}; ignored`,
            );
          }
        }
        rule.targets.set(target.Id, target);
      }
      loaded++;
    }
    return loaded;
  }

  // -------------------------------------------------------------------------------------------------------
  // Rules

  private putRule(input: Input): { RuleArn: string } {
    const name = ruleName(input.Name);
    const bus = this.bus(input.EventBusName);
    const eventPattern = optionalStringMember(input, 'EventPattern');
    const scheduleExpression = optionalStringMember(input, 'ScheduleExpression');
    const state = optionalStringMember(input, 'State') ?? 'ENABLED';
    const description = optionalStringMember(input, 'Description');
    const roleArn = optionalStringMember(input, 'RoleArn');
    if (!RULE_STATES.has(state)) {
      throw validation(
        `1 validation error detected: Value '${state}' at 'state' failed to satisfy constraint: Member must satisfy enum value set: [${[...RULE_STATES].join(', ')}]`,
      );
    }
    if (description !== undefined && description.length > 512) {
      throw validation(
        "1 validation error detected: Value at 'description' failed to satisfy constraint: Member must have length less than or equal to 512",
      );
    }
    if (eventPattern === undefined && scheduleExpression === undefined) {
      throw validation('Parameter(s) EventPattern or ScheduleExpression must be specified.');
    }
    if (eventPattern !== undefined) {
      if (eventPattern.length > MAX_PATTERN_LENGTH) {
        throw validation(
          `1 validation error detected: Value at 'eventPattern' failed to satisfy constraint: Member must have length less than or equal to ${MAX_PATTERN_LENGTH}`,
        );
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(eventPattern);
      } catch {
        throw new AwsError(
          'InvalidEventPatternException',
          'Event pattern is not valid. Reason: Invalid JSON',
          400,
        );
      }
      const problem = validatePattern(parsed);
      if (problem) throw new AwsError('InvalidEventPatternException', problem, 400);
    }
    if (scheduleExpression !== undefined) {
      if (bus !== DEFAULT_BUS)
        throw validation('ScheduleExpression is supported only on the default event bus.');
      if (!/^(rate|cron)\(.+\)$/.test(scheduleExpression) || scheduleExpression.length > 256) {
        throw validation('Parameter ScheduleExpression is not valid.');
      }
    }
    const existing = this.rules.get(ruleKey(bus, name));
    if (!existing && this.countRules(bus) >= MAX_RULES_PER_BUS) {
      throw new AwsError(
        'LimitExceededException',
        'The requested resource exceeds the maximum number allowed.',
        400,
      );
    }
    const rule = this.storeRule({
      Name: name,
      EventBusName: bus,
      EventPattern: eventPattern,
      ScheduleExpression: scheduleExpression,
      State: state,
      Description: description,
      RoleArn: roleArn,
    });
    return { RuleArn: rule.Arn };
  }

  /** Creates or replaces a rule (every attribute replaced; the targets are kept). */
  private storeRule(fields: Omit<Rule, 'Arn' | 'targets' | 'pattern'>): Rule {
    const key = ruleKey(fields.EventBusName, fields.Name);
    const previous = this.rules.get(key);
    const rule: Rule = {
      ...fields,
      Arn: ruleArn(fields.EventBusName, fields.Name),
      pattern: fields.EventPattern === undefined ? undefined : JSON.parse(fields.EventPattern),
      targets: previous?.targets ?? new Map(),
    };
    this.rules.set(key, rule);
    return rule;
  }

  private describeRule(input: Input): Record<string, unknown> {
    const rule = this.rule(input.Name, input.EventBusName);
    return { ...describe(rule), CreatedBy: ACCOUNT_ID };
  }

  private listRules(input: Input): Record<string, unknown> {
    const bus = this.bus(input.EventBusName);
    const prefix = optionalStringMember(input, 'NamePrefix') ?? '';
    const rules = [...this.rules.values()]
      .filter((rule) => rule.EventBusName === bus && rule.Name.startsWith(prefix))
      .sort((a, b) => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0))
      .map(describe);
    const page = paginate(rules, input.Limit, input.NextToken);
    return { Rules: page.items, ...(page.next && { NextToken: page.next }) };
  }

  private deleteRule(input: Input): Record<string, never> {
    const name = ruleName(input.Name);
    const key = ruleKey(this.bus(input.EventBusName), name);
    const rule = this.rules.get(key);
    if (!rule) return {};
    if (rule.targets.size > 0) throw validation("Rule can't be deleted since it has targets.");
    this.rules.delete(key);
    return {};
  }

  private setState(input: Input, state: 'ENABLED' | 'DISABLED'): Record<string, never> {
    this.rule(input.Name, input.EventBusName).State = state;
    return {};
  }

  // -------------------------------------------------------------------------------------------------------
  // Targets

  private putTargets(input: Input): { FailedEntryCount: number; FailedEntries: unknown[] } {
    const rule = this.rule(input.Rule, input.EventBusName, 'Rule');
    const targets = input.Targets;
    if (!Array.isArray(targets) || targets.length === 0) {
      throw validation(
        "1 validation error detected: Value at 'targets' failed to satisfy constraint: Member must have length greater than or equal to 1",
      );
    }
    if (targets.length > MAX_TARGETS_PER_CALL) {
      throw validation(
        `1 validation error detected: Value at 'targets' failed to satisfy constraint: Member must have length less than or equal to ${MAX_TARGETS_PER_CALL}`,
      );
    }
    const parsed = targets.map((raw, index) => parseTarget(raw, index + 1));
    const ids = new Set([...rule.targets.keys(), ...parsed.map((t) => t.Id)]);
    if (ids.size > MAX_TARGETS_PER_RULE) {
      throw new AwsError(
        'LimitExceededException',
        'The requested resource exceeds the maximum number allowed.',
        400,
      );
    }
    for (const target of parsed) rule.targets.set(target.Id, target);
    return { FailedEntryCount: 0, FailedEntries: [] };
  }

  private removeTargets(input: Input): { FailedEntryCount: number; FailedEntries: unknown[] } {
    const rule = this.rule(input.Rule, input.EventBusName, 'Rule');
    const ids = input.Ids;
    if (!Array.isArray(ids) || ids.length === 0 || !ids.every((id) => typeof id === 'string')) {
      throw validation(
        "1 validation error detected: Value at 'ids' failed to satisfy constraint: Member must have length greater than or equal to 1",
      );
    }
    for (const id of ids) rule.targets.delete(id);
    return { FailedEntryCount: 0, FailedEntries: [] };
  }

  private listTargetsByRule(input: Input): Record<string, unknown> {
    const rule = this.rule(input.Rule, input.EventBusName, 'Rule');
    const page = paginate([...rule.targets.values()], input.Limit, input.NextToken);
    return { Targets: page.items, ...(page.next && { NextToken: page.next }) };
  }

  private listRuleNamesByTarget(input: Input): Record<string, unknown> {
    const arn = optionalStringMember(input, 'TargetArn');
    if (!arn)
      throw validation(
        "1 validation error detected: Value null at 'targetArn' failed to satisfy constraint: Member must not be null",
      );
    const bus = this.bus(input.EventBusName);
    const names = [...this.rules.values()]
      .filter((rule) => rule.EventBusName === bus && [...rule.targets.values()].some((t) => t.Arn === arn))
      .map((rule) => rule.Name)
      .sort();
    const page = paginate(names, input.Limit, input.NextToken);
    return { RuleNames: page.items, ...(page.next && { NextToken: page.next }) };
  }

  // -------------------------------------------------------------------------------------------------------
  // Events

  private putEvents(input: Input): { FailedEntryCount: number; Entries: unknown[] } {
    const entries = input.Entries;
    if (!Array.isArray(entries) || entries.length === 0 || entries.length > MAX_ENTRIES_PER_PUT) {
      throw validation(
        `1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length ${
          Array.isArray(entries) && entries.length > 0
            ? `less than or equal to ${MAX_ENTRIES_PER_PUT}`
            : 'greater than or equal to 1'
        }`,
      );
    }
    if (JSON.stringify(entries).length > MAX_PUT_EVENTS_BYTES) {
      throw validation('Total size of the entries in the request is over the limit.');
    }
    const results: unknown[] = [];
    const accepted: Array<{ event: BusEvent; bus: string }> = [];
    let failed = 0;
    for (const raw of entries) {
      const outcome = this.buildEvent(raw);
      if ('ErrorCode' in outcome) {
        failed++;
        results.push(outcome);
      } else {
        accepted.push(outcome);
        results.push({ EventId: outcome.event.id });
      }
    }
    for (const { event, bus } of accepted) this.dispatch(event, bus);
    return { FailedEntryCount: failed, Entries: results };
  }

  private buildEvent(
    raw: unknown,
  ): { event: BusEvent; bus: string } | { ErrorCode: string; ErrorMessage: string } {
    const entry: Input = isRecord(raw) ? raw : {};
    const invalid = (member: string, reason: string) => ({
      ErrorCode: 'InvalidArgument',
      ErrorMessage: `Parameter ${member} is not valid. Reason: ${reason}`,
    });
    let bus: string;
    try {
      bus = this.bus(entry.EventBusName);
    } catch (error) {
      return { ErrorCode: 'ResourceNotFoundException', ErrorMessage: (error as Error).message };
    }
    const { Source: source, DetailType: detailType, Detail: detailText, Resources: resources } = entry;
    if (typeof source !== 'string' || source === '')
      return invalid('Source', 'Source is a required argument.');
    if (typeof detailType !== 'string' || detailType === '') {
      return invalid('DetailType', 'DetailType is a required argument.');
    }
    if (typeof detailText !== 'string' || detailText === '') {
      return invalid('Detail', 'Detail is a required argument.');
    }
    const detail = parseJson(detailText);
    if (!isRecord(detail)) return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
    if (source.startsWith('aws.')) {
      return { ErrorCode: 'NotAuthorizedForSourceException', ErrorMessage: 'Not authorized for the source.' };
    }
    if (
      resources !== undefined &&
      !(Array.isArray(resources) && resources.every((r) => typeof r === 'string'))
    ) {
      return invalid('Resources', 'Resources must be a list of strings.');
    }
    const event = envelope(this.clock, source, detailType, (resources as string[] | undefined) ?? [], detail);
    const time = eventTime(entry.Time);
    if (time) event.time = time;
    return { event, bus };
  }

  private testEventPattern(input: Input): { Result: boolean } {
    const patternText = optionalStringMember(input, 'EventPattern');
    const eventText = optionalStringMember(input, 'Event');
    if (patternText === undefined) {
      throw validation(
        "1 validation error detected: Value null at 'eventPattern' failed to satisfy constraint: Member must not be null",
      );
    }
    if (eventText === undefined) {
      throw validation(
        "1 validation error detected: Value null at 'event' failed to satisfy constraint: Member must not be null",
      );
    }
    let pattern: unknown;
    try {
      pattern = JSON.parse(patternText);
    } catch {
      throw new AwsError(
        'InvalidEventPatternException',
        'Event pattern is not valid. Reason: Invalid JSON',
        400,
      );
    }
    const problem = validatePattern(pattern);
    if (problem) throw new AwsError('InvalidEventPatternException', problem, 400);
    const event = parseJson(eventText);
    const required = ['id', 'account', 'source', 'time', 'region', 'resources', 'detail-type'];
    if (!isRecord(event) || required.some((field) => !(field in event))) {
      throw validation('Parameter Event is not valid.');
    }
    return { Result: matchesPattern(pattern, event) };
  }

  // -------------------------------------------------------------------------------------------------------
  // Delivery

  private dispatch(event: BusEvent, bus: string): void {
    this.counters.published++;
    for (const rule of this.rules.values()) {
      if (rule.EventBusName !== bus || rule.State === 'DISABLED' || rule.pattern === undefined) continue;
      if (!matchesPattern(rule.pattern, event)) continue;
      this.counters.matched++;
      for (const target of rule.targets.values()) this.deliverTo(rule, target, event);
    }
  }

  private deliverTo(rule: Rule, target: Target, event: BusEvent): void {
    const payload = targetInput(rule, target, event);
    const lambda = LAMBDA_ARN.exec(target.Arn);
    const sqs = !lambda && SQS_ARN.test(target.Arn);
    if (!lambda && !sqs) {
      this.counters.skipped++;
      this.skippedLog.push({
        rule: rule.Name,
        targetId: target.Id,
        targetArn: target.Arn,
        input: payload,
        ...(target.EcsParameters && { ecsParameters: target.EcsParameters }),
      });
      if (this.skippedLog.length > 1000) this.skippedLog.shift();
      this.warnOnce(
        `skip:${rule.Arn}:${target.Id}`,
        `rule ${rule.Name} target ${target.Id} (${target.Arn}) is not run by the sandbox; deliveries are recorded only`,
      );
      return;
    }
    const send = () => {
      try {
        if (lambda) this.deliver.lambda(lambda[1] as string, structuredClone(payload));
        else this.deliver.sqs(target.Arn, typeof payload === 'string' ? payload : JSON.stringify(payload));
        this.counters.delivered++;
      } catch (error) {
        this.counters.failed++;
        const dlq = target.DeadLetterConfig?.Arn;
        console.error(`[sandbox] delivery to ${target.Arn} (rule ${rule.Name}) failed`, error);
        if (dlq && SQS_ARN.test(dlq)) {
          try {
            this.deliver.sqs(dlq, JSON.stringify(event));
          } catch (dlqError) {
            console.error(`[sandbox] dead-letter queue ${dlq} failed`, dlqError);
          }
        }
      }
    };
    const copies = this.duplicateRate > 0 && this.random() < this.duplicateRate ? 2 : 1;
    if (copies === 2) this.counters.duplicated++;
    for (let i = 0; i < copies; i++) {
      if (this.shuffleWindowMs > 0) {
        this.counters.held++;
        this.clock.setTimeout(
          () => {
            this.counters.held--;
            send();
          },
          Math.floor(this.random() * this.shuffleWindowMs),
        );
      } else {
        send();
      }
    }
  }

  // -------------------------------------------------------------------------------------------------------
  // Helpers

  private bus(value: unknown): string {
    if (value === undefined || value === null || value === '') return DEFAULT_BUS;
    if (typeof value !== 'string') throw validation('Parameter EventBusName is not valid.');
    const name = busNameOf(value);
    if (name !== DEFAULT_BUS) throw notFound(`Event bus ${name} does not exist.`);
    return name;
  }

  private rule(nameValue: unknown, busValue: unknown, member = 'Name'): Rule {
    const name = ruleName(nameValue, member);
    const bus = this.bus(busValue);
    const rule = this.rules.get(ruleKey(bus, name));
    if (!rule) throw notFound(`Rule ${name} does not exist on EventBus ${bus}.`);
    return rule;
  }

  private countRules(bus: string): number {
    let count = 0;
    for (const rule of this.rules.values()) if (rule.EventBusName === bus) count++;
    return count;
  }

  private warnOnce(key: string, message: string): void {
    if (this.warned.has(key)) return;
    this.warned.add(key);
    console.warn(`[sandbox] eventbridge: ${message}`);
  }
}

// ---------------------------------------------------------------------------------------------------------

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function clampRate(rate: number): number {
  return Number.isFinite(rate) ? Math.min(1, Math.max(0, rate)) : 0;
}

function optionalString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function optionalStringMember(input: Input, member: string): string | undefined {
  const value = input[member];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') {
    throw new AwsError('SerializationException', `Member ${member} must be a string.`, 400);
  }
  return value;
}

function ruleName(value: unknown, member = 'Name'): string {
  const field = member.charAt(0).toLowerCase() + member.slice(1);
  if (typeof value !== 'string') {
    throw validation(
      `1 validation error detected: Value null at '${field}' failed to satisfy constraint: Member must not be null`,
    );
  }
  if (!RULE_NAME.test(value)) {
    throw validation(
      `1 validation error detected: Value '${value}' at '${field}' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+ and have length between 1 and 64`,
    );
  }
  return value;
}

/** `default`, a bus name, or an event bus ARN, to the bus name. */
function busNameOf(value: unknown): string {
  if (typeof value !== 'string') return String(value);
  const arn = /^arn:aws[a-z-]*:events:[a-z0-9-]+:\d{12}:event-bus\/(.+)$/.exec(value);
  return arn ? (arn[1] as string) : value;
}

function ruleKey(bus: string, name: string): string {
  return `${bus}\u0000${name}`;
}

function ruleArn(bus: string, name: string): string {
  const path = bus === DEFAULT_BUS ? name : `${bus}/${name}`;
  return `arn:aws:events:${REGION}:${ACCOUNT_ID}:rule/${path}`;
}

function describe(rule: Rule): Record<string, unknown> {
  const out: Record<string, unknown> = { Name: rule.Name, Arn: rule.Arn };
  if (rule.EventPattern !== undefined) out.EventPattern = rule.EventPattern;
  if (rule.ScheduleExpression !== undefined) out.ScheduleExpression = rule.ScheduleExpression;
  out.State = rule.State;
  if (rule.Description !== undefined) out.Description = rule.Description;
  if (rule.RoleArn !== undefined) out.RoleArn = rule.RoleArn;
  out.EventBusName = rule.EventBusName;
  return out;
}

function paginate<T>(items: T[], limit: unknown, token: unknown): { items: T[]; next?: string } {
  const size = typeof limit === 'number' && limit >= 1 ? Math.min(100, Math.floor(limit)) : 100;
  let start = 0;
  if (typeof token === 'string' && token !== '') {
    start = Number(Buffer.from(token, 'base64').toString('utf8'));
    if (!Number.isInteger(start) || start < 0) throw validation('The specified NextToken is not valid.');
  }
  const page = items.slice(start, start + size);
  const end = start + page.length;
  return end < items.length
    ? { items: page, next: Buffer.from(String(end)).toString('base64') }
    : { items: page };
}

function parseTarget(raw: unknown, position: number): Target {
  const at = (member: string) => `targets.${position}.member.${member}`;
  if (!isRecord(raw))
    throw validation(`1 validation error detected: Value at '${at('')}' must be a structure`);
  const { Id: id, Arn: arn } = raw;
  if (typeof id !== 'string' || !TARGET_ID.test(id)) {
    throw validation(
      `1 validation error detected: Value '${String(id)}' at '${at('id')}' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+ and have length between 1 and 64`,
    );
  }
  if (typeof arn !== 'string' || arn.length === 0 || arn.length > 1600) {
    throw validation(
      `1 validation error detected: Value '${String(arn)}' at '${at('arn')}' failed to satisfy constraint: Member must have length between 1 and 1600`,
    );
  }
  if (ROLE_TARGET.test(arn) && (typeof raw.RoleArn !== 'string' || raw.RoleArn === '')) {
    throw validation(`RoleArn is required for target ${arn}.`);
  }
  if (
    ECS_CLUSTER_ARN.test(arn) &&
    isRecord(raw.EcsParameters) &&
    typeof raw.EcsParameters.TaskDefinitionArn !== 'string'
  ) {
    throw validation(
      `1 validation error detected: Value null at '${at('ecsParameters.taskDefinitionArn')}' failed to satisfy constraint: Member must not be null`,
    );
  }
  const inputs = ['Input', 'InputPath', 'InputTransformer'].filter((member) => raw[member] !== undefined);
  if (inputs.length > 1) {
    throw validation(`Only one of Input, InputPath, or InputTransformer must be provided for target ${id}.`);
  }
  if (raw.Input !== undefined && (typeof raw.Input !== 'string' || parseJson(raw.Input) === undefined)) {
    throw validation(`Input is not valid JSON text for target ${id}.`);
  }
  if (raw.InputPath !== undefined && (typeof raw.InputPath !== 'string' || !jsonPath(raw.InputPath))) {
    throw validation(`InputPath is not valid for target ${id}.`);
  }
  if (raw.InputTransformer !== undefined) {
    const transformer = raw.InputTransformer;
    if (!isRecord(transformer) || typeof transformer.InputTemplate !== 'string') {
      throw validation(
        `1 validation error detected: Value null at '${at('inputTransformer.inputTemplate')}' failed to satisfy constraint: Member must not be null`,
      );
    }
    const paths = transformer.InputPathsMap ?? {};
    if (!isRecord(paths) || !Object.values(paths).every((p) => typeof p === 'string' && jsonPath(p))) {
      throw validation(`InputPathsMap is not valid for target ${id}.`);
    }
  }
  const retry = raw.RetryPolicy;
  if (retry !== undefined) {
    if (!isRecord(retry)) throw validation(`RetryPolicy is not valid for target ${id}.`);
    const attempts = retry.MaximumRetryAttempts;
    const age = retry.MaximumEventAgeInSeconds;
    if (attempts !== undefined && (typeof attempts !== 'number' || attempts < 0 || attempts > 185)) {
      throw validation(
        `1 validation error detected: Value '${String(attempts)}' at '${at('retryPolicy.maximumRetryAttempts')}' failed to satisfy constraint: Member must have value between 0 and 185`,
      );
    }
    if (age !== undefined && (typeof age !== 'number' || age < 60 || age > 86400)) {
      throw validation(
        `1 validation error detected: Value '${String(age)}' at '${at('retryPolicy.maximumEventAgeInSeconds')}' failed to satisfy constraint: Member must have value between 60 and 86400`,
      );
    }
  }
  const dlq = raw.DeadLetterConfig;
  if (dlq !== undefined && (!isRecord(dlq) || (dlq.Arn !== undefined && typeof dlq.Arn !== 'string'))) {
    throw validation(`DeadLetterConfig is not valid for target ${id}.`);
  }
  return { ...raw, Id: id, Arn: arn } as Target;
}

/** The payload a target receives: the event, or its Input / InputPath / InputTransformer form. */
function targetInput(rule: Rule, target: Target, event: BusEvent): unknown {
  if (target.Input !== undefined) return parseJson(target.Input) ?? target.Input;
  if (target.InputPath !== undefined) return jsonPath(target.InputPath)?.(event) ?? null;
  if (target.InputTransformer) {
    const text = transform(target.InputTransformer, rule, event);
    return parseJson(text) ?? text;
  }
  return event;
}

/** A JSONPath subset ($, $.a.b, $['a'], $.a[0]) compiled to a getter; undefined when not understood. */
function jsonPath(path: string): ((root: unknown) => unknown) | undefined {
  if (!path.startsWith('$')) return undefined;
  const steps: Array<string | number> = [];
  const token = /\.([^.[\]]+)|\[(\d+)\]|\['([^']*)'\]|\["([^"]*)"\]/y;
  let index = 1;
  while (index < path.length) {
    token.lastIndex = index;
    const match = token.exec(path);
    if (!match) return undefined;
    if (match[1] !== undefined) steps.push(match[1]);
    else if (match[2] !== undefined) steps.push(Number(match[2]));
    else steps.push((match[3] ?? match[4]) as string);
    index = token.lastIndex;
  }
  return (root) => {
    let current: unknown = root;
    for (const step of steps) {
      if (typeof step === 'number') current = Array.isArray(current) ? current[step] : undefined;
      else current = isRecord(current) ? current[step] : undefined;
      if (current === undefined) return undefined;
    }
    return current;
  };
}

/**
 * InputTransformer: `<name>` in InputTemplate becomes the value at InputPathsMap[name] (or a predefined
 * aws.events.* variable). Inside a JSON string literal a string value is inserted as text; elsewhere
 * values are inserted as JSON.
 */
function transform(
  transformer: { InputPathsMap?: Record<string, string>; InputTemplate: string },
  rule: Rule,
  event: BusEvent,
): string {
  const values: Record<string, unknown> = {
    'aws.events.rule-arn': rule.Arn,
    'aws.events.rule-name': rule.Name,
    'aws.events.event.ingestion-time': event.time,
    'aws.events.event': event,
    'aws.events.event.json': event,
  };
  for (const [name, path] of Object.entries(transformer.InputPathsMap ?? {})) {
    values[name] = jsonPath(path)?.(event);
  }
  const template = transformer.InputTemplate;
  let out = '';
  let inString = false;
  for (let i = 0; i < template.length; i++) {
    const ch = template[i] as string;
    if (ch === '\\' && inString) {
      out += ch + (template[i + 1] ?? '');
      i++;
      continue;
    }
    if (ch === '"') inString = !inString;
    if (ch === '<') {
      const close = template.indexOf('>', i);
      const name = close > i ? template.slice(i + 1, close) : '';
      if (name && Object.hasOwn(values, name)) {
        const value = values[name];
        if (inString) {
          const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? '');
          out += JSON.stringify(text).slice(1, -1);
        } else {
          out += JSON.stringify(value) ?? 'null';
        }
        i = close;
        continue;
      }
    }
    out += ch;
  }
  return out;
}

/** PutEvents Time: epoch seconds (what the SDK sends) or an ISO string, to the envelope's format. */
function eventTime(value: unknown): string | undefined {
  let ms: number | undefined;
  if (typeof value === 'number' && Number.isFinite(value)) ms = value * 1000;
  else if (typeof value === 'string') ms = Number.isNaN(Date.parse(value)) ? undefined : Date.parse(value);
  if (ms === undefined) return undefined;
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * Resolves the CloudFormation intrinsics that name a target: a literal ARN, Fn::GetAtt [id, Arn] (a Lambda
 * function through functionName, anything else through arnFor), Ref, Fn::Sub with pseudo parameters,
 * Fn::Join. undefined when it cannot be resolved.
 */
function resolveIntrinsic(
  value: unknown,
  functionName: (logicalId: string) => string | undefined,
  arnFor: ((logicalId: string) => string | undefined) | undefined,
): string | undefined {
  const pseudo: Record<string, string> = {
    'AWS::Region': REGION,
    'AWS::AccountId': ACCOUNT_ID,
    'AWS::Partition': 'aws',
    'AWS::URLSuffix': 'amazonaws.com',
  };
  const getAtt = (logicalId: string, attribute: string): string | undefined => {
    if (attribute !== 'Arn') return undefined;
    const fn = functionName(logicalId);
    if (fn !== undefined) return `arn:aws:lambda:${REGION}:${ACCOUNT_ID}:function:${fn}`;
    return arnFor?.(logicalId);
  };
  const recurse = (v: unknown): string | undefined => {
    if (typeof v === 'string') return v;
    if (!isRecord(v)) return undefined;
    const getAttArgs = v['Fn::GetAtt'];
    if (getAttArgs !== undefined) {
      const [id, attribute] = Array.isArray(getAttArgs) ? getAttArgs : String(getAttArgs).split('.');
      return typeof id === 'string' && typeof attribute === 'string' ? getAtt(id, attribute) : undefined;
    }
    if (typeof v.Ref === 'string') return pseudo[v.Ref] ?? arnFor?.(v.Ref);
    const sub = v['Fn::Sub'];
    if (sub !== undefined) {
      const [text, vars] = Array.isArray(sub) ? sub : [sub, {}];
      if (typeof text !== 'string') return undefined;
      let unresolved = false;
      const out = text.replace(/\$\{([^}]+)\}/g, (_, name: string) => {
        const fromVars = isRecord(vars) ? recurse(vars[name]) : undefined;
        const dot = name.indexOf('.');
        const resolved =
          fromVars ??
          pseudo[name] ??
          (dot > 0 ? getAtt(name.slice(0, dot), name.slice(dot + 1)) : arnFor?.(name));
        if (resolved === undefined) unresolved = true;
        return resolved ?? '';
      });
      return unresolved ? undefined : out;
    }
    const join = v['Fn::Join'];
    if (Array.isArray(join) && typeof join[0] === 'string' && Array.isArray(join[1])) {
      const parts = join[1].map(recurse);
      return parts.every((p) => p !== undefined) ? parts.join(join[0]) : undefined;
    }
    return undefined;
  };
  return recurse(value);
}
