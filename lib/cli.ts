#!/usr/bin/env node
/**
 * The `utmpx` command. `utmpx who` lists who is logged in, from the live
 * database through libc, like who(1).
 */
import { UtmpFile } from './utmp-file';
import type { UtmpEntry } from './entry';
import { escapeForTerminal } from './terminal';

const USAGE = `Usage: utmpx <command> [options]

Commands:
  who [-f FILE] [--json]   who is logged in (the system's utmp, or FILE)

Options:
  -h, --help               show this help
  -V, --version            show the version`;

class UsageError extends Error {}

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}

function localTime(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`;
}

/** One line per session, in who(1)'s columns. */
export function formatWho(u: UtmpEntry): string {
  const host = u.ut_host ? ` (${escapeForTerminal(u.ut_host)})` : '';
  return `${pad(escapeForTerminal(u.ut_user), 8)} ${pad(escapeForTerminal(u.line), 12)} ${localTime(u.date)}${host}`;
}

function who(args: string[], out: NodeJS.WritableStream): number {
  let file: string | undefined;
  let json = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '-f' || a === '--file') {
      file = args[++i];
      if (!file) throw new UsageError(`${a} needs a file name`);
    } else if (a === '--json') json = true;
    else if (a === '-h' || a === '--help') {
      out.write('Usage: utmpx who [-f FILE] [--json]\nLists the users logged in now.\n');
      return 0;
    } else throw new UsageError(`unknown option for who: ${a}`);
  }
  const db = new UtmpFile(file);
  let sessions: UtmpEntry[];
  try {
    sessions = db.toArray().filter((u) => u.ut_user_process);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ENOENT' && file === undefined) {
      // Systems without /run/utmp (containers, Debian 13 with logind only).
      process.stderr.write(`utmpx: no utmp database at ${db.path}: this system does not record logins there\n`);
      if (json) out.write('[]\n');
      return 0;
    }
    throw err;
  }
  if (json) out.write(JSON.stringify(sessions) + '\n');
  else for (const u of sessions) out.write(formatWho(u) + '\n');
  return 0;
}

export function main(argv: string[], out: NodeJS.WritableStream = process.stdout): number {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'who':
        return who(rest, out);
      case '-V':
      case '--version':
        out.write(require('../package.json').version + '\n');
        return 0;
      case undefined:
      case '-h':
      case '--help':
        out.write(USAGE + '\n');
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command: ${command}`);
    }
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`utmpx: ${err.message}\n${USAGE}\n`);
      return 2;
    }
    process.stderr.write(`utmpx: ${(err as Error).message}\n`);
    return 1;
  }
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
