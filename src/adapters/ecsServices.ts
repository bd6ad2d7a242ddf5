import { DescribeServicesCommand, type ECSClient, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import type { EcsServices } from '../ports';

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
