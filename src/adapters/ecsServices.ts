import { DescribeServicesCommand, type ECSClient, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import type { StrategyItem } from '../domain/serviceFallback';

export interface ServiceDescription {
  serviceArn: string;
  /** ACTIVE, DRAINING (being deleted) or INACTIVE (deleted). */
  status: string;
  /** undefined for a service with a launch type. */
  strategy: StrategyItem[] | undefined;
  tags: Record<string, string>;
  launchType?: string;
}

export interface EcsServices {
  /** undefined when ECS does not know the service (DescribeServices failure MISSING). */
  describeService(cluster: string, service: string): Promise<ServiceDescription | undefined>;
  /** UpdateService with the strategy and forceNewDeployment, which moves the running tasks too. */
  updateStrategy(cluster: string, service: string, strategy: StrategyItem[]): Promise<void>;
}

export function buildEcsServices(ecs: ECSClient): EcsServices {
  return {
    async describeService(cluster, service) {
      const out = await ecs.send(
        new DescribeServicesCommand({ cluster, services: [service], include: ['TAGS'] }),
      );
      const found = out.services?.[0];
      if (!found?.serviceArn) return undefined;
      const strategy = found.capacityProviderStrategy?.length
        ? found.capacityProviderStrategy.map((item) => ({
            capacityProvider: item.capacityProvider as string,
            ...(item.weight !== undefined && { weight: item.weight }),
            ...(item.base !== undefined && { base: item.base }),
          }))
        : undefined;
      return {
        serviceArn: found.serviceArn,
        status: found.status ?? 'ACTIVE',
        strategy,
        tags: Object.fromEntries(
          (found.tags ?? []).filter((t) => t.key).map((t) => [t.key as string, t.value ?? '']),
        ),
        ...(found.launchType && { launchType: found.launchType }),
      };
    },

    async updateStrategy(cluster, service, strategy) {
      await ecs.send(
        new UpdateServiceCommand({
          cluster,
          service,
          capacityProviderStrategy: strategy,
          forceNewDeployment: true,
        }),
      );
    },
  };
}

/** ECS errors that refuse the request itself: sending it again cannot succeed (throttling and 5xx can). */
const REFUSALS = new Set([
  'AccessDeniedException',
  'ClusterNotFoundException',
  'InvalidParameterException',
  'PlatformTaskDefinitionIncompatibilityException',
  'PlatformUnknownException',
  'ServiceNotActiveException',
  'ServiceNotFoundException',
  'UnsupportedFeatureException',
]);

export function isEcsRefusal(error: unknown): boolean {
  return REFUSALS.has((error as Error)?.name);
}
