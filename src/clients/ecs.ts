import { ECSClient } from '@aws-sdk/client-ecs';

// One client per container; endpoint from AWS_ENDPOINT_URL(_ECS) when set. Throttling beyond the SDK's
// own retries goes back through the launch queue, so the default 3 attempts are enough.
export const ecs = new ECSClient({});
