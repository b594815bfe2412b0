/** `utmpx who`: who is logged in, from the live database, like who(1). */
import type { UtmpEntry } from '../entry';
import { users } from '../functions';
import { type Command, safe } from './common';
import { SOURCE_HELP, SOURCE_OPTION, noLiveDatabase, sourceOf } from './live';
import { RecordEmitter, parseCommand, whoTime } from './output';
import { WARNING_HELP, WARNING_OPTIONS, WarningReport } from './warnings';

/** One line per session, in who(1)'s columns. */
export function formatWho(u: UtmpEntry, iso = false): string {
  const host = u.ut_host ? ` (${safe(u.ut_host)})` : '';
  return `${safe(u.ut_user).padEnd(8)} ${safe(u.line).padEnd(12)} ${whoTime(u.date, iso)}${host}`;
}

export const who: Command = {
  summary: 'who [-f FILE] [--json|--ndjson] [--iso]     who is logged in',
  help: `Usage: utmpx who [-f FILE] [--json | --ndjson] [--iso] [--all] [--source S]
Lists the users logged in now (the USER_PROCESS entries of utmp, or the
sessions of systemd-logind where the system keeps no utmp), as who(1).

  -f, --file FILE  read FILE instead of the system's utmp
      --json       one JSON array of entries (every field)
      --ndjson     one JSON entry a line
      --iso        times as ISO 8601 (default: local 'YYYY-MM-DD HH:MM')
      --all        keep entries whose login process is gone (the system's
                   utmp drops them by default, as who(1) does)
${SOURCE_HELP}${WARNING_HELP}`,
  async run(args, io) {
    const opts = parseCommand('who', args, { all: { type: 'boolean' }, ...SOURCE_OPTION, ...WARNING_OPTIONS });
    const source = sourceOf('who', opts);
    const report = new WarningReport('who', opts.format, opts.values);
    let sessions: UtmpEntry[];
    try {
      sessions = users({ path: opts.file, dropStale: opts.file === undefined && !opts.values.all, source, onWarning: report.onWarning });
    } catch (e) {
      return noLiveDatabase(e, opts.file, io);
    }
    const out = new RecordEmitter<UtmpEntry>(io.out, opts.format, (u) => formatWho(u, opts.iso));
    for (const u of sessions) await out.emit(u);
    await out.end();
    return report.finish(io, 0, out.writer);
  },
};
