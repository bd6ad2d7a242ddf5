/** How each answer of the API reads as a table: tasks, schedules, runs, launches, services. */
import { type Column, genericView, lastSegment, nextPage, table, yaml } from './output';

type Json = Record<string, unknown>;
const list = (v: unknown): Json[] => (Array.isArray(v) ? (v as Json[]) : []);
const str = (v: unknown): string | undefined => (v === undefined || v === null ? undefined : String(v));
/** 2024-05-14T09:12:47.123Z → 2024-05-14 09:12:47 */
const time = (v: unknown) =>
  str(v)
    ?.replace('T', ' ')
    .replace(/(\.\d+)?Z$/, '');

const exitCodes = (t: Json) =>
  list(t.containers)
    .filter((c) => c.exitCode !== undefined)
    .map((c) => `${c.name}=${c.exitCode}`)
    .join(' ');

const TASK_COLUMNS: Column<Json>[] = [
  { header: 'TASK', value: (t) => str(t.taskId) },
  { header: 'STATUS', value: (t) => str(t.lastStatus) },
  { header: 'CLASSIFICATION', value: (t) => str(t.classification) },
  { header: 'TASK DEFINITION', value: (t) => str(t.taskDefinition) },
  { header: 'CAPACITY', value: (t) => str(t.capacityProviderName ?? t.launchType) },
  { header: 'CREATED', value: (t) => time(t.createdAt) },
  { header: 'STOPPED', value: (t) => time(t.stoppedAt) },
  { header: 'EXIT', value: (t) => exitCodes(t) || str(t.stopCode) },
];

export function taskList(body: Json): string {
  const tasks = list(body.tasks);
  return [tasks.length ? table(TASK_COLUMNS, tasks) : '(no tasks)', ...nextPage(body.nextToken)].join('\n');
}

/** One task: its summary, the transitions as a timeline, the restart decision and chain, the replacement. */
export function taskHistory(body: Json): string {
  const task = (body.task ?? {}) as Json;
  const failure = task.failure as Json | undefined;
  const out = [
    `Task            ${str(task.taskArn) ?? ''}`,
    `Cluster         ${str(task.cluster) ?? ''}`,
    `Task definition ${str(task.taskDefinition) ?? ''}`,
    `Status          ${str(task.lastStatus) ?? ''} (desired ${str(task.desiredStatus) ?? ''})`,
    `Classification  ${str(task.classification) ?? ''}${
      failure
        ? ` (${Object.entries(failure)
            .map(([k, v]) => `${k} ${v}`)
            .join(', ')})`
        : ''
    }`,
  ];
  if (task.stoppedReason) out.push(`Stopped reason  ${task.stoppedReason}`);
  out.push(
    '',
    'Timeline',
    table(
      [
        { header: 'TIME', value: (t) => time(t.eventTime ?? t.updatedAt) },
        { header: 'STATUS', value: (t) => str(t.lastStatus) },
        { header: 'DESIRED', value: (t) => str(t.desiredStatus) },
        { header: 'DETAIL', value: (t) => String(t.detail ?? '') },
      ],
      timeline(list(body.transitions)),
    ),
  );
  const decision = body.decision as Json | undefined;
  if (decision) {
    const delay = decision.delaySeconds === undefined ? '' : ` after ${decision.delaySeconds} s`;
    out.push(
      '',
      `Restart decision: ${decision.action}${delay}${decision.reason ? ` (${decision.reason})` : ''}`,
    );
  }
  if (body.originTaskArn) out.push(`Origin task: ${lastSegment(str(body.originTaskArn))}`);
  const attempts = list(body.attempts);
  if (attempts.length) {
    const scalarKeys = [...new Set(attempts.flatMap((a) => Object.keys(a)))].filter((k) =>
      attempts.some((a) => a[k] !== undefined && typeof a[k] !== 'object'),
    );
    out.push(
      '',
      'Restart chain',
      table(
        scalarKeys.map((key) => ({
          header: key.replace(/([A-Z])/g, ' $1').toUpperCase(),
          value: (a: Json) => (key.endsWith('Arn') ? lastSegment(str(a[key])) : str(a[key])),
        })),
        attempts,
      ),
    );
  }
  const replacement = replacementOf(body);
  if (replacement) out.push('', `Replacement: ${replacement}`);
  const pending = body.replacementLaunch as Json | undefined;
  if (pending)
    out.push('', `Replacement launch: ${pending.status}${pending.message ? ` (${pending.message})` : ''}`);
  return out.join('\n');
}

/** Each transition with what it brought: the stop code, exit codes and reason once, when they appear. */
function timeline(transitions: Json[]): Json[] {
  let previous = '';
  return transitions.map((t) => {
    const detail = [t.stopCode, exitCodes(t), t.stoppedReason].filter(Boolean).join(' · ');
    const shown = detail === previous ? '' : detail;
    previous = detail;
    return { ...t, detail: shown };
  });
}

/** The task that replaced this one, when the restart decision has started it. */
export function replacementOf(body: Json): string | undefined {
  const decision = body.decision as { replacementTaskArns?: string[] } | undefined;
  return lastSegment(decision?.replacementTaskArns?.[0]);
}

/** A launch's answer (POST /tasks, a run): its status, tasks, failures, where to follow it. */
export function launchResult(body: Json): string {
  const out = [`${str(body.status) ?? ''}  ${str(body.requestId) ?? ''}`];
  for (const arn of list(body.taskArns) as unknown as string[]) out.push(`  task ${lastSegment(arn)}`);
  for (const f of list(body.failures))
    out.push(`  failure ${[f.arn, f.reason, f.detail].filter(Boolean).join(': ')}`);
  if (body.message) out.push(`  ${body.message}`);
  if (body.location) out.push(`  follow: ecs-autopilot launches get ${lastSegment(str(body.location))}`);
  return out.join('\n');
}

export function scheduleList(body: Json): string {
  const schedules = list(body.schedules);
  if (!schedules.length) return ['(no schedules)', ...nextPage(body.nextToken)].join('\n');
  return [
    table(
      [
        { header: 'NAME', value: (s) => str(s.name) },
        { header: 'STATE', value: (s) => str(s.state) },
        { header: 'EXPRESSION', value: (s) => str(s.expression) },
        { header: 'TIMEZONE', value: (s) => str(s.timezone) },
        { header: 'CLUSTER', value: (s) => str(s.cluster) },
        { header: 'TASK DEFINITION', value: (s) => str(s.taskDefinition) },
        { header: 'COUNT', value: (s) => str(s.count) },
        { header: 'CONCURRENCY', value: (s) => str(s.concurrencyPolicy) },
        { header: 'UPDATED', value: (s) => time(s.updatedAt) },
      ],
      schedules,
    ),
    ...nextPage(body.nextToken),
  ].join('\n');
}

export function runList(body: Json): string {
  const runs = list(body.runs);
  if (!runs.length) return ['(no runs)', ...nextPage(body.nextToken)].join('\n');
  return [
    table(
      [
        { header: 'TIME', value: (r) => time(r.scheduledTime) },
        { header: 'TRIGGER', value: (r) => str(r.trigger) },
        { header: 'STATUS', value: (r) => str(r.status) },
        {
          header: 'TASKS',
          value: (r) => (list(r.taskArns) as unknown as string[]).map(lastSegment).join(' '),
        },
        // How the run ended (issue 20): its duration, and why it failed or was skipped.
        {
          header: 'DURATION',
          value: (r) => (r.durationSeconds === undefined ? '' : `${r.durationSeconds}s`),
        },
        {
          header: 'EXIT CODES',
          value: (r) => (list(r.exitCodes) as unknown as number[]).join(' '),
        },
        { header: 'REQUEST', value: (r) => str(r.requestId) },
        { header: 'WHY', value: (r) => str(r.reason ?? r.cause ?? r.message) },
      ],
      runs,
    ),
    ...nextPage(body.nextToken),
  ].join('\n');
}

export function service(body: Json): string {
  const history = list(body.history);
  return [
    `Service  ${body.cluster}/${body.service}`,
    `Mode     ${body.mode}`,
    ...(body.originalStrategy ? [`Restores ${yaml(body.originalStrategy).replace(/\n/g, ' ')}`] : []),
    '',
    history.length
      ? table(
          [
            { header: 'TIME', value: (h) => time(h.at) },
            { header: 'ACTION', value: (h) => str(h.action) },
            { header: 'CAUSE', value: (h) => str(h.cause) },
            { header: 'NOTE', value: (h) => str(h.note) },
          ],
          history,
        )
      : '(no switches)',
  ].join('\n');
}

/** A cluster's state (GET /clusters/{cluster}): counts, capacity, services, the last hour, budgets, actions. */
export function clusterState(body: Json): string {
  const tasks = (body.tasks ?? {}) as Json;
  const stopped = (body.stoppedLastHour ?? {}) as Json;
  const restarts = (body.restarts ?? {}) as Json;
  const byClassification = Object.entries((stopped.byClassification ?? {}) as Record<string, number>)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
  const section = (title: string, rows: Json[], columns: Column<Json>[]) =>
    rows.length ? ['', title, table(columns, rows)] : [];
  return [
    `Cluster   ${str(body.cluster) ?? ''} (ECS read at ${time(body.asOf) ?? ''})`,
    `Tasks     ${tasks.running} running, ${tasks.pending} pending${tasks.truncated ? ' (more than one answer reads)' : ''}`,
    `Stopped   ${stopped.total} in the last hour${byClassification ? ` (${byClassification})` : ''}`,
    `Restarts  ${list(restarts.inFlight).length} in flight, ${list(restarts.exhausted).length} exhausted`,
    ...section('Capacity', list(tasks.byCapacity), [
      { header: 'CAPACITY', value: (c) => str(c.name) },
      {
        header: 'KIND',
        value: (c) => `${c.compute === 'fargate' ? 'Fargate' : 'EC2'} ${c.spot ? 'Spot' : 'on-demand'}`,
      },
      { header: 'RUNNING', value: (c) => str(c.running) },
      { header: 'PENDING', value: (c) => str(c.pending) },
    ]),
    ...section('Families', list(tasks.byFamily), [
      { header: 'FAMILY', value: (f) => str(f.family) },
      { header: 'RUNNING', value: (f) => str(f.running) },
      { header: 'PENDING', value: (f) => str(f.pending) },
    ]),
    ...section('Services', list(body.services), [
      { header: 'SERVICE', value: (s) => str(s.service) },
      { header: 'DESIRED', value: (s) => str(s.desiredCount) },
      { header: 'RUNNING', value: (s) => str(s.runningCount) },
      { header: 'PENDING', value: (s) => str(s.pendingCount) },
      { header: 'CAPACITY', value: (s) => list(s.capacity).join(',') },
      { header: 'SPOT FALLBACK', value: (s) => (s.spotFallback ? 'on-demand' : '') },
    ]),
    ...section('Budgets', list(body.budgets), [
      { header: 'BUDGET', value: (b) => str(b.name) },
      { header: 'USED', value: (b) => `${b.used} / ${b.limit}` },
    ]),
    ...section('Breakers', list(body.breakers), [
      { header: 'FAMILY', value: (b) => str(b.family) },
      { header: 'STATE', value: (b) => str(b.state) },
      { header: 'FAILED AGAIN', value: (b) => `${b.relaunchesThatFailedAgain} / ${b.limit}` },
    ]),
    ...section('Spot shortages', list(body.spotShortages), [
      { header: 'PROVIDER', value: (s) => str(s.provider) },
      { header: 'FALLBACK', value: (s) => str(s.fallback) },
      { header: 'UNTIL', value: (s) => time(s.until) },
    ]),
    ...section('Upcoming runs', list(body.upcomingRuns), [
      { header: 'TIME', value: (r) => time(r.at) },
      { header: 'SCHEDULE', value: (r) => str(r.schedule) },
      { header: 'TASK DEFINITION', value: (r) => str(r.taskDefinition) },
    ]),
    ...section('Recent actions', list(body.recentActions), [
      { header: 'TIME', value: (a) => time(a.at) },
      { header: 'ACTION', value: (a) => str(a.kind) },
      { header: 'BY', value: (a) => lastSegment(str(a.by)) },
      { header: 'TARGET', value: (a) => lastSegment(str(a.taskArn)) ?? str(a.service) },
      { header: 'DETAIL', value: (a) => str(a.detail) },
    ]),
  ].join('\n');
}

export { genericView, yaml };
