import { createHash } from 'node:crypto';
import { canonicalJson } from './canonicalJson';
import { clientTokenFor, type LaunchRequest, type RunTaskInput } from './launchRequest';
import { ATTEMPT_TAG, ORIGIN_TAG } from './restartDecision';
import { OWN_STARTED_BY } from './scheduleLaunch';

/**
 * Batched launches: requests whose RunTask input is the same apart from lineage share one RunTask call
 * (`count` up to 10, ECS's limit per call: https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_RunTask.html).
 * ECS's Fargate task launch rate (20 a second) then paces a wave, not its RunTask call rate. Pure: the store
 * claims a group before RunTask (src/adapters/launchStore.ts), the launcher runs it (src/app/launchGroups.ts).
 */

/** At most this many tasks per RunTask call. */
export const MAX_TASKS_PER_CALL = 10;

/** The tags that name one task's lineage: added with TagResource after a batched launch, not on the call. */
export const LINEAGE_TAGS: ReadonlySet<string> = new Set([ORIGIN_TAG, ATTEMPT_TAG]);

/** A claimed group: its members, the one RunTask input and clientToken they launch with. */
export interface LaunchGroup {
  groupId: string;
  clientToken: string;
  /** The batched input (count = every member's count); a group of one launches its member's input as it is. */
  runTask: RunTaskInput;
  /** In launch order: the first member gets the first tasks (assignTasks). */
  members: LaunchRequest[];
}

/**
 * Restarts and Spot moves name their lineage in startedBy (ecs-autopilot/restart/<origin>/<n>); a batched call
 * carries one startedBy for all, so it keeps the kind: ecs-autopilot/restart. A schedule's is common already.
 */
export function batchStartedBy(startedBy: string | undefined): string | undefined {
  const lineage = startedBy?.match(/^ecs-autopilot\/(restart|spot)\//);
  return lineage ? `${OWN_STARTED_BY}${lineage[1]}` : startedBy;
}

/**
 * A task ecs-autopilot started to replace Spot work, by its startedBy (ecs-autopilot/spot/<origin>/<n>, or
 * ecs-autopilot/spot batched). A schedule's run moved off Spot keeps the schedule's startedBy: not told here.
 */
export const isSpotFallbackLaunch = (startedBy: string | undefined): boolean =>
  startedBy === `${OWN_STARTED_BY}spot` || startedBy?.startsWith(`${OWN_STARTED_BY}spot/`) === true;

/** The request's input as a batched call sends it: no count, no lineage tags, the common startedBy. */
function commonInput(runTask: RunTaskInput): Omit<RunTaskInput, 'count'> {
  const { count: _count, tags, startedBy, ...rest } = runTask;
  const common = tags?.filter((tag) => !LINEAGE_TAGS.has(tag.key));
  const started = batchStartedBy(startedBy);
  return {
    ...rest,
    ...(started !== undefined && { startedBy: started }),
    ...(common && common.length > 0 && { tags: common }),
  };
}

/**
 * Which requests may share a call: equal keys, equal input apart from lineage. Undefined: this one launches
 * alone (a schedule's run holding its launch lease is released by its own outcome; a request for several
 * tasks fills a call by itself more often than not).
 */
export function groupKeyOf(request: LaunchRequest): string | undefined {
  if (request.launchLease || request.runTask.count > 1) return undefined;
  return canonicalJson(commonInput(request.runTask));
}

/** The lineage tags of one member, added to its tasks after a batched launch. */
export function lineageTagsOf(request: LaunchRequest): { key: string; value: string }[] {
  return (request.runTask.tags ?? []).filter((tag) => LINEAGE_TAGS.has(tag.key));
}

/** The request's idempotency key (launchStore's requestKey), the member's name in its group. */
const memberKey = (r: Pick<LaunchRequest, 'requestId' | 'capacityRetries'>) =>
  `${r.requestId}#${r.capacityRetries}`;

/**
 * The group of these members. Its id and clientToken derive from its members, so the same members always
 * form the same group; a group of one keeps its member's own clientToken (clientTokenFor), the token a
 * launch alone has always had. Members are put in a stable order: task assignment follows it.
 */
export function formGroup(members: readonly LaunchRequest[]): LaunchGroup {
  const first = members[0];
  if (!first) throw new Error('a launch group needs a member');
  const sorted = [...members].sort((a, b) => (memberKey(a) < memberKey(b) ? -1 : 1));
  if (sorted.length === 1) {
    return {
      groupId: memberKey(first),
      clientToken: clientTokenFor(first),
      runTask: first.runTask,
      members: sorted,
    };
  }
  const count = sorted.reduce((n, m) => n + m.runTask.count, 0);
  if (count > MAX_TASKS_PER_CALL)
    throw new Error(`a launch group starts at most ${MAX_TASKS_PER_CALL} tasks`);
  const digest = createHash('sha256')
    .update(sorted.map(memberKey).join('\n'))
    .digest('base64url')
    .slice(0, 43);
  return {
    groupId: `g-${digest}`,
    clientToken: `g-${digest}`,
    runTask: { ...commonInput(first.runTask), count },
    members: sorted,
  };
}

/**
 * Requests as groups to claim: equal keys together, up to 10 tasks a group, the rest alone. Order within
 * a key is kept, so the oldest requests launch first.
 */
export function groupRequests(requests: readonly LaunchRequest[]): LaunchRequest[][] {
  const byKey = new Map<string, LaunchRequest[][]>();
  const groups: LaunchRequest[][] = [];
  for (const request of requests) {
    const key = groupKeyOf(request);
    if (key === undefined) {
      groups.push([request]);
      continue;
    }
    const open = byKey.get(key) ?? [];
    const last = open.at(-1);
    if (last && last.length < MAX_TASKS_PER_CALL) last.push(request);
    else {
      const group = [request];
      open.push(group);
      groups.push(group);
    }
    byKey.set(key, open);
  }
  return groups;
}

/**
 * Which tasks are whose: RunTask answers in no promised order, and a retry with the same clientToken answers
 * the same tasks, so the ARNs are sorted and dealt in member order, each member taking its count. A partial
 * launch (7 of 10) leaves the last members without: exactly those are relaunched.
 */
export function assignTasks(group: LaunchGroup, taskArns: readonly string[]): string[][] {
  const sorted = [...new Set(taskArns)].sort();
  let next = 0;
  return group.members.map((member) => {
    const mine = sorted.slice(next, next + member.runTask.count);
    next += mine.length;
    return mine;
  });
}
