import { ECSClient } from '@aws-sdk/client-ecs';

// One client per container; endpoint from AWS_ENDPOINT_URL(_ECS) when set. Throttling beyond the SDK's
// own retries goes back through the launch queue, so the default 3 attempts are enough.
export const ecs = new ECSClient({});

// Restart decisions read a failed task's tags with this one, once: when ECS throttles (hundreds of tasks
// failing together), the decision goes on at once and the launcher reads the tags, ten tasks a call, instead
// of every decision waiting out the SDK's backoff and spending ECS's 20 DescribeTasks a second.
export const ecsTagReads = new ECSClient({ maxAttempts: 1 });

// RunTask from the launcher with this one, once: the launcher paces itself on ECS's buckets (src/domain/pacing.ts)
// and waits out a throttle by their arithmetic; the SDK's own backoff on top took about 2 s a throttled call.
export const ecsLaunches = new ECSClient({ maxAttempts: 1 });
