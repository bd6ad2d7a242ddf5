/** `npm run sandbox -- <command>`: see local/controlCli.ts (`npm run sandbox -- help` lists the commands). */
import { runCli } from './controlCli';

runCli(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
