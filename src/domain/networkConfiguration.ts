import * as z from '../zod';

/**
 * RunTask's awsvpc network configuration. A module of its own: the configuration (NETWORK_DEFAULTS) needs it
 * at every cold start, and importing it from launchRequest.ts would build every launch request schema there.
 */
export const networkConfigurationSchema = z.object({
  awsvpcConfiguration: z.object({
    subnets: z.array(z.string()).check(z.minLength(1), z.maxLength(16)),
    securityGroups: z.optional(z.array(z.string()).check(z.maxLength(5))),
    assignPublicIp: z.optional(z.enum(['ENABLED', 'DISABLED'])),
  }),
});
