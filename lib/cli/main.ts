#!/usr/bin/env node
/**
 * The `utmpx` command: one file per subcommand in this folder, registered in
 * COMMANDS below.
 */
import { type Command, type CommandIO, UsageError, safe } from './common';
import { completionCommand } from './completion';
import { alignColumns, alignHelp, summaryColumns } from './help';

/* eslint-disable @typescript-eslint/no-require-imports */
// Each subcommand's module is loaded when the command is first looked up: `utmpx dump`
// does not compile the modules only the other commands use (a tenth of its run).
const LOADERS: Record<string, () => Command> = {
  who: () => (require('./who') as typeof import('./who')).who,
  users: () => (require('./users') as typeof import('./users')).users,
  last: () => (require('./last') as typeof import('./last')).last,
  lastb: () => (require('./lastb') as typeof import('./lastb')).lastb,
  dump: () => (require('./dump') as typeof import('./dump')).dump,
  boot: () => (require('./boot') as typeof import('./boot')).boot,
  lastlog: () => (require('./lastlog') as typeof import('./lastlog')).lastlog,
  watch: () => (require('./watch') as typeof import('./watch')).watch,
};
/* eslint-enable @typescript-eslint/no-require-imports */

export const COMMANDS: Record<string, Command> = {};
for (const [name, load] of Object.entries(LOADERS)) Object.defineProperty(COMMANDS, name, { get: load, enumerable: true });
COMMANDS.completion = completionCommand(COMMANDS);

function commandNamed(name: string): Command {
  const command = Object.prototype.hasOwnProperty.call(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!command) throw new UsageError(`unknown command: ${name}`);
  return command;
}

/** The main help; every command's help is printed through alignHelp() (see help.ts). */
export function usage(): string {
  const rows = Object.values(COMMANDS).map((c) => summaryColumns(c.summary));
  rows.push(['help [command]', 'this text, or a command\'s own']);
  const [commands, helpLine] = [alignColumns(rows).slice(0, -1), alignColumns(rows).slice(-1)];
  return `Usage: utmpx <command> [options]\n\nCommands:\n${commands.join('\n')}\n\n${helpLine[0]}\n\n` +
    'Options:\n  -h, --help     help (also after a command)\n  -V, --version  the version\n';
}

export async function main(argv: string[], io: CommandIO = { out: process.stdout, err: process.stderr }): Promise<number> {
  const [name, ...rest] = argv;
  try {
    if (name === '-V' || name === '--version') {
      io.out.write(require('../../package.json').version + '\n');
      return 0;
    }
    if (name === undefined || name === '-h' || name === '--help') {
      (name === undefined ? io.err : io.out).write(usage());
      return name === undefined ? 2 : 0;
    }
    if (name === 'help') {
      if (rest.length === 0) { io.out.write(usage()); return 0; }
      io.out.write(alignHelp(commandNamed(rest[0]).help));
      return 0;
    }
    const command = commandNamed(name);
    if (rest.includes('-h') || rest.includes('--help')) {
      io.out.write(alignHelp(command.help));
      return 0;
    }
    try {
      return await command.run(rest, io);
    } catch (e) {
      // A mistake in a subcommand's arguments: one line and where its help is, as util-linux says it.
      if (e instanceof UsageError) {
        io.err.write(`utmpx: ${safe(e.message)}\nTry 'utmpx ${name} --help' for more information.\n`);
        return 2;
      }
      throw e;
    }
  } catch (e) {
    if (e instanceof UsageError) {
      io.err.write(`utmpx: ${safe(e.message)}\nTry 'utmpx --help' for more information.\n`);
      return 2;
    }
    // The reader of our output went away (`utmpx dump | head`): nothing to say.
    if ((e as NodeJS.ErrnoException).code === 'EPIPE') return 0;
    io.err.write(`utmpx: ${safe((e as Error).message)}\n`);
    return 1;
  }
}

if (require.main === module) {
  // A closed pipe can also surface between our writes: stop reading, quietly.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
    process.exit(0);
  });
  main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
}
