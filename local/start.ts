/** `npm start`: the sandbox in the foreground, until Ctrl-C. */
// Node 20 here, nodejs22.x in Lambda: the SDK's notice about Node 20 is noise in the sandbox.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

import { PortInUseError, type PortOption, startSandbox } from './sandbox';

/** The variable behind each port, and its default (the Lambda port has none: any free one). */
const PORT_VARIABLES: Record<PortOption, { name: string; default?: number }> = {
  port: { name: 'SANDBOX_PORT', default: 4566 },
  httpPort: { name: 'PORT', default: 3000 },
  lambdaPort: { name: 'LAMBDA_PORT' },
};

/** Seconds since this process started (what a user waits for), e.g. "4.2s". */
const sinceStart = () => `${(performance.now() / 1000).toFixed(1)}s`;

function portFromEnv(option: PortOption): number | undefined {
  const variable = PORT_VARIABLES[option];
  const text = process.env[variable.name];
  if (text === undefined || text === '') return variable.default;
  const port = Number(text);
  if (!/^\d+$/.test(text) || port > 65_535) {
    throw new Error(
      `${variable.name}=${text} is not a port: use a number from 1 to 65535 (0: any free port)`,
    );
  }
  return port;
}

async function main() {
  const verbose = process.env.SANDBOX_QUIET !== '1';
  console.log('starting the ecs-autopilot sandbox...');
  const sandbox = await startSandbox({
    port: portFromEnv('port'),
    httpPort: portFromEnv('httpPort'),
    lambdaPort: portFromEnv('lambdaPort'),
    verbose,
    onProgress: (message) => console.log(`  ${sinceStart().padStart(6)}  ${message}`),
  });
  const lambdaPort = sandbox.lambdaPort ?? '';
  console.log(`
ecs-autopilot sandbox ready in ${sinceStart()} (stage ${sandbox.stage})
  AWS endpoint (ECS, EventBridge, Scheduler, SQS, DynamoDB): ${sandbox.endpoint}
  HTTP API:                                                  ${sandbox.apiUrl} (${sandbox.apiAuth ? 'SigV4 with the credentials below; SANDBOX_API_AUTH=off for plain curl' : 'no auth: SANDBOX_API_AUTH=off'})
  Lambda invoke endpoint (serverless-offline):               http://127.0.0.1:${lambdaPort}
  Control:                                                   npm run sandbox -- help

Try, in another terminal:
  export AWS_ENDPOINT_URL=${sandbox.endpoint} AWS_ACCESS_KEY_ID=sandbox AWS_SECRET_ACCESS_KEY=sandbox AWS_DEFAULT_REGION=us-east-1 ECS_AUTOPILOT_STAGE=${sandbox.stage}
  npx ecs-autopilot doctor
  TASK=$(aws ecs run-task --cluster sandbox --task-definition sandbox-worker --launch-type FARGATE \\
    --network-configuration 'awsvpcConfiguration={subnets=[subnet-0123456789abcdef0]}' \\
    --query 'tasks[0].taskArn' --output text)
  npm run -s sandbox -- wait $TASK RUNNING
  npm run sandbox -- tasks
  npx ecs-autopilot tasks get \${TASK##*/}
  curl -s ${sandbox.apiAuth ? '--aws-sigv4 "aws:amz:us-east-1:execute-api" --user sandbox:sandbox ' : ''}${sandbox.apiUrl}/tasks/\${TASK##*/}
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
  if (error instanceof PortInUseError) {
    const variable = PORT_VARIABLES[error.option].name;
    console.error(
      `${error.message}: another sandbox or program has it. Set ${variable} to a free port ` +
        `(e.g. ${variable}=${error.port + 1} npm start).`,
    );
  } else console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
