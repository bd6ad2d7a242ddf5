/** `npm start`: the sandbox in the foreground, until Ctrl-C. */
// Node 20 here, nodejs22.x in Lambda: the SDK's notice about Node 20 is noise in the sandbox.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

import { startSandbox } from './sandbox';

async function main() {
  const started = Date.now();
  const sandbox = await startSandbox({
    port: Number(process.env.SANDBOX_PORT ?? 4566),
    httpPort: Number(process.env.PORT ?? 3000),
    lambdaPort: Number(process.env.LAMBDA_PORT ?? 3002),
    verbose: process.env.SANDBOX_QUIET !== '1',
  });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.log(`
ecs-autopilot sandbox ready in ${seconds}s (stage ${sandbox.stage})
  AWS endpoint (ECS, EventBridge, Scheduler, SQS, DynamoDB): ${sandbox.endpoint}
  HTTP API:                                                  ${sandbox.apiUrl}
  Control:                                                   npm run sandbox -- help

Try, in another terminal:
  export AWS_ENDPOINT_URL=${sandbox.endpoint} AWS_ACCESS_KEY_ID=sandbox AWS_SECRET_ACCESS_KEY=sandbox AWS_DEFAULT_REGION=us-east-1
  aws ecs run-task --cluster sandbox --task-definition sandbox-worker --launch-type FARGATE \\
    --network-configuration 'awsvpcConfiguration={subnets=[subnet-0123456789abcdef0]}'
  npm run sandbox -- tasks
  curl -s ${sandbox.apiUrl}/tasks?cluster=sandbox
`);
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    console.log('\nstopping the sandbox...');
    await sandbox.stop();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
