// `serverless package` offline: dummy credentials (packaging never calls AWS) and no telemetry.
import { spawnSync } from 'node:child_process';

const args = [
  'serverless',
  'package',
  '--stage',
  process.env.STAGE ?? 'dev',
  '--region',
  process.env.REGION ?? 'us-east-1',
  ...process.argv.slice(2),
];
const result = spawnSync('npx', args, {
  stdio: 'inherit',
  env: {
    ...process.env,
    AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID ?? 'packaging-only',
    AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY ?? 'packaging-only',
    SLS_TELEMETRY_DISABLED: '1',
    SLS_NOTIFICATIONS_MODE: 'off',
    SLS_DEPRECATION_DISABLE: '*',
  },
});
process.exit(result.status ?? 1);
