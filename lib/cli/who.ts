/** `utmpx who`: who is logged in, from the live database, like who(1). */
import type { UtmpEntry } from '../entry';
import { UtmpFile } from '../utmp-file';
import { type Command, UsageError, localMinutes, optionValue, pad, safe } from './common';

/** One line per session, in who(1)'s columns. */
export function formatWho(u: UtmpEntry): string {
  const host = u.ut_host ? ` (${safe(u.ut_host)})` : '';
  return `${pad(safe(u.ut_user), 8)} ${pad(safe(u.line), 12)} ${localMinutes(u.date)}${host}`;
}

export const who: Command = {
  summary: 'who [-f FILE] [--json]   who is logged in (the system\'s utmp, or FILE)',
  help: 'Usage: utmpx who [-f FILE] [--json]\nLists the users logged in now.\n',
  run(args, { out, err }) {
    let file: string | undefined;
    let json = false;
    for (let i = 0; i < args.length; i++) {
      const a = args[i];
      if (a === '-f' || a === '--file') file = optionValue(args, i++, a);
      else if (a === '--json') json = true;
      else throw new UsageError(`unknown option for who: ${a}`);
    }
    const db = new UtmpFile(file);
    let sessions: UtmpEntry[];
    try {
      sessions = db.toArray().filter((u) => u.ut_user_process);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT' && file === undefined) {
        // Containers, and distributions that keep sessions only in systemd-logind.
        err.write(`utmpx: no utmp database at ${db.path}: this system does not record logins there\n`);
        if (json) out.write('[]\n');
        return 0;
      }
      throw e;
    }
    if (json) out.write(JSON.stringify(sessions) + '\n');
    else for (const u of sessions) out.write(formatWho(u) + '\n');
    return 0;
  },
};
