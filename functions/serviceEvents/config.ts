import { commaList, eventBusName, spotSettings, tableName } from '../../src/config';
import { DEFAULT_COOLDOWN_SECONDS } from '../../src/domain/serviceFallback';
import * as z from '../../src/zod';

/** What serviceEvents reads from its environment: serverless.yml's functions.serviceEvents.environment. */
export const configSchema = {
  TABLE_NAME: tableName,
  EVENT_BUS_NAME: eventBusName,
  SPOT_TO_ON_DEMAND: spotSettings.SPOT_TO_ON_DEMAND,
  /** Comma-separated 'cluster/service' or 'service' names opted in without the tag. */
  SPOT_FALLBACK_SERVICES: commaList,
  SPOT_FALLBACK_COOLDOWN_SECONDS: z._default(
    z.coerce.number().check(z.int(), z.gte(1), z.lte(86_400)),
    DEFAULT_COOLDOWN_SECONDS,
  ),
};
