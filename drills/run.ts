/**
 * The fault drills (drills/README.md): `npm run drill` runs them all at full size; `npm run drill -- 6 7`
 * runs some; `--small` uses the jest sizes. Prints each drill's counts and failures; exit code 1 if any
 * drill failed, 2 if the runner itself broke.
 */
import { mapMiddyForCommonJs } from '../test/drills/middyResolve';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
mapMiddyForCommonJs();

async function main(): Promise<number> {
  const { DRILLS } = await import('../test/drills/index');
  const { startDrillDb } = await import('../test/drills/support');
  const args = process.argv.slice(2);
  const size = args.includes('--small') ? 'small' : 'full';
  const wanted = args.filter((a) => !a.startsWith('--'));
  const unknown = wanted.filter((id) => !DRILLS.some((d) => d.id === id));
  if (unknown.length > 0) {
    console.error(`unknown drill ${unknown.join(', ')}; drills: ${DRILLS.map((d) => d.id).join(', ')}`);
    return 2;
  }
  const chosen = DRILLS.filter((d) => wanted.length === 0 || wanted.includes(d.id));
  const db = await startDrillDb();
  const summary: string[] = [];
  let failed = 0;
  try {
    for (const drill of chosen) {
      console.log(`\n== drill ${drill.id}: ${drill.title} (${size})`);
      const result = await drill.run(db, size);
      const width = Math.max(...Object.keys(result.counts).map((k) => k.length));
      for (const [name, value] of Object.entries(result.counts)) {
        console.log(`  ${name.padEnd(width)}  ${value.toLocaleString('en-US')}`);
      }
      const verdict = result.failureCount === 0 ? 'PASS' : 'FAIL';
      if (result.failureCount > 0) {
        failed++;
        console.log(`  ${result.failureCount} failure(s):`);
        for (const line of result.failures) console.log(`  - ${line}`);
        if (result.failureCount > result.failures.length) {
          console.log(`  - … and ${result.failureCount - result.failures.length} more`);
        }
      }
      console.log(`  ${verdict} in ${result.seconds} s`);
      summary.push(
        `drill ${drill.id.padEnd(3)} ${verdict}  ${String(result.seconds).padStart(6)} s  ${result.name}`,
      );
    }
  } finally {
    await db.close();
  }
  console.log(`\n${summary.join('\n')}`);
  return failed > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(error);
    process.exit(2);
  },
);
