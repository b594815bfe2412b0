/** `utmpx users`: the names of the users logged in, as users(1) prints them. */
import { users as currentUsers } from '../functions';
import { type Command, UsageError, safe } from './common';
import { SOURCE_HELP, SOURCE_OPTION, noLiveDatabase, sourceOf } from './live';
import { parseCommand } from './args';
import { LineWriter, toJson } from './output';
import { WARNING_HELP, WARNING_OPTIONS, WarningReport } from './warnings';

export const users: Command = {
  summary: 'users [-f FILE] [--json|--ndjson]          names of the users logged in',
  help: `Usage: utmpx users [-f FILE | FILE] [--json | --ndjson] [--source S]
Prints the login names of the current sessions on one line, sorted, one name
per session, as users(1).

  -f, --file FILE  read FILE instead of the system's utmp
      --json       one JSON array of names
      --ndjson     one JSON string a line
${SOURCE_HELP}${WARNING_HELP}`,
  async run(args, io) {
    const opts = parseCommand('users', args, { ...SOURCE_OPTION, ...WARNING_OPTIONS }, true);
    if (opts.positionals.length > 1 || (opts.file !== undefined && opts.positionals.length > 0)) throw new UsageError('users: one file at a time');
    const file = opts.file ?? opts.positionals[0];
    const source = sourceOf('users', { ...opts, file });
    const report = new WarningReport('users', opts.format, opts.values);
    let names: string[];
    try {
      names = currentUsers({ path: file, source, onWarning: report.onWarning }).map((u) => u.ut_user).sort();
    } catch (e) {
      return noLiveDatabase(e, file, io, opts.format === 'json');
    }
    if (opts.format === 'json') io.out.write(toJson(names) + '\n');
    else if (opts.format === 'ndjson') io.out.write(names.map((n) => toJson(n) + '\n').join(''));
    else if (names.length > 0) io.out.write(names.map(safe).join(' ') + '\n');
    return report.finish(io, 0, new LineWriter(io.out));
  },
};
