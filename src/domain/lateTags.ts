import type { LaunchRequest } from './launchRequest';
import { type RestartDecision, replacementTags } from './restartDecision';
import { MAX_ATTEMPTS_TAG, policyFromTags, RESTART_TAG } from './restartPolicy';
import { SPOT_FALLBACK_TAG, type SpotDecision } from './spotFallback';

/**
 * The failed task's tags, read at launch because the decision could not read them (LaunchRequest.tagsOf):
 * the reason not to launch when they opt out (restart off, fewer attempts, Spot fallback off), or the
 * request with the user's tags added to the replacement's.
 */
export function applyLateTags(
  request: LaunchRequest,
  tags: Record<string, string>,
): { refuse: string } | { request: LaunchRequest } {
  if (request.reason === 'restart') {
    const fromTags = policyFromTags(tags);
    if (fromTags.maxAttempts === 0) return { refuse: `restart disabled by tag ${RESTART_TAG}` };
    if (fromTags.maxAttempts !== undefined && (request.lineage?.attempt ?? 0) > fromTags.maxAttempts)
      return { refuse: `attempts exhausted (tag ${MAX_ATTEMPTS_TAG}=${fromTags.maxAttempts})` };
  }
  if (request.reason === 'spot-interruption' && tags[SPOT_FALLBACK_TAG]?.toLowerCase() === 'off')
    return { refuse: `tag ${SPOT_FALLBACK_TAG}=off` };
  const ours = request.runTask.tags ?? [];
  const have = new Set(ours.map((t) => t.key));
  const user = Object.entries(tags)
    .filter(([key]) => !have.has(key))
    .map(([key, value]) => ({ key, value }));
  const { tagsOf: _read, ...rest } = request;
  // The rule of every replacement: no aws: or lineage tags copied, and the request's own tags (the
  // lineage) are the ones that survive ECS's 50.
  const merged = replacementTags(user, Object.fromEntries(ours.map((t) => [t.key, t.value])));
  return { request: { ...rest, runTask: { ...request.runTask, tags: merged } } };
}

/**
 * What becomes of a decision taken without the failed task's tags (ECS would not tell them): a launch goes
 * ahead and the launcher reads the tags first (`tagsOf`), honouring an opt-out then; giving up on the attempt
 * count or on restarts being off must wait for the tags, since they may opt in; anything else stands.
 */
export function unreadTagsVerdict(
  decision: RestartDecision | SpotDecision,
): 'read-at-launch' | 'decide-later' | 'stands' {
  if (decision.action === 'restart' || decision.action === 'spot-fallback') return 'read-at-launch';
  if (
    decision.action === 'give-up' &&
    (decision.reason === 'exhausted' || decision.reason === 'restart disabled')
  )
    return 'decide-later';
  return 'stands';
}
