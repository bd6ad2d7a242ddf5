/**
 * dynalite (local/dynamo.ts startDynalite) in its own process, so the drills' DynamoDB work runs on the
 * other core: prints its endpoint as one JSON line, and exits when its stdin closes (the drill ended or died).
 */
import { startDynalite } from '../../local/dynamo';

startDynalite().then((dynamo) => {
  process.stdout.write(`${JSON.stringify({ endpoint: dynamo.endpoint })}\n`);
  process.stdin.resume();
  process.stdin.on('end', () => {
    dynamo.close().finally(() => process.exit(0));
  });
});
