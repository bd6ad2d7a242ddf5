// `npm run bench [-- section ...]`: runs bench/run.ts with tsx (TypeScript, no build step), from the project root.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', join(here, 'run.ts'), ...process.argv.slice(2)],
  {
    cwd: join(here, '..'),
    stdio: 'inherit',
    // The SDK's notice that it will need Node 22 from 2027 (Lambda runs nodejs22.x) says nothing about the run.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...process.env },
  },
);
if (result.error) throw result.error;
process.exit(result.status ?? 2);
