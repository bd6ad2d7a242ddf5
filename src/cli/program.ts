/**
 * `ecs-autopilot`: the operator's command line, on commander (parsing, help, suggestions). Exit codes:
 * 0 done, 1 the API or AWS refused (its message on stderr), 2 the command line was wrong.
 */
import { Command, CommanderError, Option } from 'commander';
import { ROUTES, type RouteSpec } from '../app/api/routes';
import { DEFAULT_CONSOLE_PORT, startConsole, untilStopped } from './console';
import { type DoctorIo, runCanary, runDoctor } from './doctor';
import type { OutputFormat } from './output';
import { type CommandEnv, type CommandResult, routeCommands } from './routeCommands';
import { RefusedError, StageContext, type StageOptions, UsageError } from './stage';

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: NodeJS.ProcessEnv;
}

const defaultIo: CliIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
};

/** What each group of commands is about (a group a new route tag brings gets a plain description). */
const GROUPS: Record<string, string> = {
  tasks: 'Task histories (timeline, classification, restart chain) and launches through the launcher',
  launches: 'What a launch became: its tasks over every attempt, or why it failed',
  schedules: 'Scheduled launches: create and update from YAML/JSON files, pause, resume, run now, history',
  services: "Services' Spot fallback state and switches; scale and redeploy",
  clusters: "A cluster's capacity mix over a window (`status <cluster>` shows its state)",
  breakers: 'Restart circuit breakers per task definition family',
  api: 'The HTTP API itself',
};

interface GlobalOptions extends StageOptions {
  output: OutputFormat;
}

/** The program, and for each command that calls the API, its route (the drift test reads this). */
export function buildProgram(io: CliIo = defaultIo, routes?: Record<string, RouteSpec>) {
  const program = new Command('ecs-autopilot')
    .description(
      'Operate an ecs-autopilot stage: task histories, launches, schedules, services, and `doctor` to prove the stage works.',
    )
    .version(io.env.npm_package_version ?? '0.1.0')
    .option('--profile <profile>', 'AWS profile (default: the SDK default chain: env, SSO, config, roles)')
    .option('--region <region>', 'AWS Region (default: AWS_REGION, or the profile)')
    .option('--stage <stage>', 'the stage (stack ecs-autopilot-<stage>; default ECS_AUTOPILOT_STAGE or dev)')
    .option(
      '--api-url <url>',
      "the HTTP API's URL (default ECS_AUTOPILOT_API_URL, else the stack's HttpApiUrl output)",
    )
    .addOption(
      new Option('-o, --output <format>', 'table for people, json for scripts')
        .choices(['table', 'json'])
        .default('table'),
    )
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .showHelpAfterError('(add --help for usage)')
    .showSuggestionAfterError();

  const routeOf = new Map<string, string>();
  const groups = new Map<string, Command>();
  const globals = (command: Command) => command.optsWithGlobals() as GlobalOptions;
  const envOf = (command: Command): CommandEnv => {
    const options = globals(command);
    let stage: StageContext | undefined;
    return { output: options.output, stage: () => (stage ??= new StageContext(options, io.env)) };
  };
  const print = (output: OutputFormat, result: CommandResult) => {
    if (output === 'json') io.stdout(`${JSON.stringify(result.body, null, 2)}\n`);
    else io.stdout(`${result.text ?? result.view?.(result.body as Record<string, unknown>) ?? ''}\n`);
  };

  for (const spec of routeCommands(routes)) {
    const [groupName, name] = spec.name;
    let group = name === undefined ? program : groups.get(groupName);
    if (!group) {
      group = program
        .command(groupName)
        .description(GROUPS[groupName] ?? `${groupName} (API routes tagged ${groupName})`);
      groups.set(groupName, group);
    }
    const route = (routes ?? ROUTES)[spec.route] as RouteSpec | undefined;
    const command = group
      .command(name ?? groupName)
      .description(spec.summary ?? route?.summary ?? spec.route);
    spec.configure?.(command);
    command.addHelpText('after', `\nAPI route: ${spec.route}`);
    command.action(async (...received: unknown[]) => {
      const self = received.at(-1) as Command;
      const args = self.args.slice(0, self.registeredArguments.length);
      const env = envOf(self);
      print(env.output, await spec.run(env, args, self.opts()));
    });
    routeOf.set(spec.name.join(' '), spec.route);
  }

  program
    .command('doctor')
    .description(
      'Check a stage as an operator would: the stack, its rules, DLQs, clusters, network defaults, alarm topic (one line each, with the fix when one fails).',
    )
    .option(
      '--canary',
      'then prove the whole path: a task that exits 1, its restart, the replacement RUNNING',
    )
    .option('--cluster <cluster>', 'the allowlisted cluster the canary runs in (default: the first)')
    .option(
      '--task-definition <taskDefinition>',
      'a task definition the canary runs (default: one it registers)',
    )
    .option('--timeout <seconds>', 'how long the canary waits for each step', '180')
    .action(async (options: Record<string, string | boolean | undefined>, self: Command) => {
      const env = envOf(self);
      const doctorIo: DoctorIo = { line: (text) => io.stdout(`${text}\n`), json: env.output === 'json' };
      const report = await runDoctor(env.stage(), doctorIo);
      let ok = report.ok;
      const canary = options.canary
        ? await runCanary(env.stage(), doctorIo, {
            cluster: options.cluster as string | undefined,
            taskDefinition: options.taskDefinition as string | undefined,
            timeoutMs: Number(options.timeout) * 1000,
            checks: report,
          })
        : undefined;
      if (canary) ok &&= canary.ok;
      if (env.output === 'json')
        io.stdout(`${JSON.stringify({ ok, checks: report.checks, canary }, null, 2)}\n`);
      if (!ok) throw new RefusedError('', undefined, undefined);
    });

  program
    .command('console')
    .description(
      "Serve a web console on 127.0.0.1: the cluster's state and capacity mix, task timelines with their restart chain, schedules and their runs, the automation's recent actions (its API calls signed with your credentials).",
    )
    .option('--port <port>', 'the local port (0: any free one)', String(DEFAULT_CONSOLE_PORT))
    .option('--cluster <cluster>', 'the cluster the page opens on')
    .action(async (options: { port: string; cluster?: string }, self: Command) => {
      const port = Number(options.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535)
        throw new UsageError(`--port: ${options.port} is not a port number`);
      const stage = envOf(self).stage();
      // Found before listening: a wrong stage or missing credentials fail here, with the CLI's message.
      const apiUrl = await stage.apiUrl();
      const running = await startConsole(stage, { port, cluster: options.cluster }).catch((error) => {
        if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE')
          throw new UsageError(`port ${port} is in use: pick another with --port`);
        throw error;
      });
      io.stdout(`ecs-autopilot console for stage ${stage.stage} (API ${apiUrl}): ${running.url}\n`);
      io.stdout('Ctrl-C stops it.\n');
      await untilStopped();
      await running.close();
    });

  program
    .command('completion')
    .description('Print a bash completion script: eval "$(npx ecs-autopilot completion)"')
    .action(() => io.stdout(bashCompletion(program)));

  return { program, routeOf };
}

/** A bash completion script for the program's commands and options, generated from its tree. */
export function bashCompletion(program: Command): string {
  const words = (c: Command) =>
    [...c.commands.map((s) => s.name()), ...c.options.map((o) => o.long ?? '')].join(' ');
  const cases = program.commands
    .map((group) => {
      const subs = group.commands
        .map((s) => `        ${s.name()}) words="${words(s)} ${words(program)}" ;;`)
        .join('\n');
      return `    ${group.name()})\n      case "\${COMP_WORDS[2]}" in\n${subs}\n        *) words="${words(group)}" ;;\n      esac ;;`;
    })
    .join('\n');
  return `# bash completion for ecs-autopilot (generated)
_ecs_autopilot() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" words
  if [ "$COMP_CWORD" -eq 1 ]; then words="${words(program)}"; else
  case "\${COMP_WORDS[1]}" in
${cases}
  esac; fi
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
complete -F _ecs_autopilot ecs-autopilot
`;
}

/** Runs the command line; resolves to the exit code. */
export async function runCli(argv: string[], io: CliIo = defaultIo): Promise<number> {
  const { program } = buildProgram(io);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end with code 0; every other parse error is a usage error.
      return error.exitCode === 0 || error.code === 'commander.helpDisplayed' ? 0 : 2;
    }
    if (error instanceof UsageError) {
      io.stderr(`error: ${error.message}\n`);
      return 2;
    }
    if (error instanceof RefusedError) {
      if (error.message) io.stderr(`error: ${error.message}\n`);
      return 1;
    }
    io.stderr(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}
