/** The `ecs-autopilot` command (bin/ecs-autopilot.cjs runs its build, dist/cli.cjs: scripts/build-cli.cjs). */
import { runCli } from './program';

// The SDK's notice about the Node version is for services, not for a command line.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

// `ecs-autopilot ... | head`: a reader that has had enough is not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});

runCli(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
