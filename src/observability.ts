import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';

// One logger and one metrics buffer per container; service name and namespace come from
// POWERTOOLS_SERVICE_NAME / POWERTOOLS_METRICS_NAMESPACE, with these defaults for tests and tools.
export const logger = new Logger({ serviceName: 'ecs-autopilot' });
export const metrics = new Metrics({ namespace: 'EcsAutopilot', serviceName: 'ecs-autopilot' });
