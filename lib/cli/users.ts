/** `utmpx users`: the names of the users logged in, as users(1) prints them. */
import { users as currentUsers } from '../functions';
import { type Command, safe } from './common';
import { SOURCE_HELP, SOURCE_OPTION, noLiveDatabase, sourceOf } from './live';
import { parseCommand, toJson } from './output';

export const users: Command = {
  summary: 'users [-f FILE] [--json|--ndjson]          names of the users logged in',
  help: `Usage: utmpx users [-f FILE] [--json | --ndjson] [--source S]
Prints the login names of the current sessions on one line, sorted, one name
per session, as users(1).

  -f, --file FILE  read FILE instead of the system's utmp
      --json       one JSON array of names
      --ndjson     one JSON string a line
${SOURCE_HELP}`,
  run(args, io) {
    const opts = parseCommand('users', args, SOURCE_OPTION);
    const source = sourceOf('users', opts);
    let names: string[];
    try {
      names = currentUsers({ path: opts.file, source }).map((u) => u.ut_user).sort();
    } catch (e) {
      return noLiveDatabase(e, opts.file, io);
    }
    if (opts.format === 'json') io.out.write(toJson(names) + '\n');
    else if (opts.format === 'ndjson') io.out.write(names.map((n) => toJson(n) + '\n').join(''));
    else if (names.length > 0) io.out.write(names.map(safe).join(' ') + '\n');
    return 0;
  },
};
