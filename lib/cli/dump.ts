/** `utmpx dump`: every record of a database, every field, as utmpdump(1) lays them out. */
import type { UtmpEntry } from '../entry';
import { explainMissing } from '../functions';
import { UtmpFile } from '../utmp-file';
import { type Command, UsageError, paddedField, safe } from './common';
import { cliInput } from './inputs';
import { noLiveDatabase } from './live';
import { Progress, RecordEmitter, entryMs, isoLocalMicros, parseCommand } from './output';
import { WARNING_HELP, WARNING_OPTIONS, WarningReport } from './warnings';

/**
 * utmpdump's line (`[type] [pid] [id] [user] [line] [host] [addr] [time]`,
 * time with microseconds and the local offset), then the fields utmpdump
 * leaves out: `[session] [termination exit]` ('-' where the layout has none).
 * `utmpdump -r` reads the first eight fields back and ignores the rest.
 * Fields are padded by bytes of UTF-8, as utmpdump's printf pads them
 * (`[müller ]`: 7 bytes and a space), so the columns have utmpdump's widths
 * in bytes; the strings are escaped first (see terminal.ts).
 */
export function formatDump(u: UtmpEntry): string {
  const t = u.ut_time;
  const time = isoLocalMicros(entryMs(t), String(Math.round((t - Math.floor(t)) * 1e6) % 1e6).padStart(6, '0'));
  const exit = u.ut_exit ? `${u.ut_exit.e_termination} ${u.ut_exit.e_exit}` : '-';
  const pid = u.ut_pid ?? 0;
  return '[' + u.ut_type_code + '] [' + (pid >= 10000 ? String(pid) : String(pid).padStart(5, '0')) + '] [' + paddedField(u.ut_id ?? '', 4) +
    '] [' + paddedField(u.ut_user, 8) + '] [' + paddedField(u.line, 12) + '] [' + paddedField(u.ut_host, 20) + '] [' +
    (u.address ?? '0.0.0.0').padEnd(15) + '] [' + time + '] [' + (u.ut_session ?? '-') + '] [' + exit + ']';
}

export const dump: Command = {
  summary: 'dump [-f FILE] [--json|--ndjson]           every record, every field',
  help: `Usage: utmpx dump [-f FILE] [--json | --ndjson] [FILE]
Prints every record of a utmp, wtmp or btmp file in file order, with every
field: utmpdump(1)'s columns, then the session and exit status. Reads the
system's utmp when no file is given. Large files are streamed.

  -f, --file FILE  the file to read (or give it as the argument)
      --json       one JSON array of entries
      --ndjson     one JSON entry a line, streamed
${WARNING_HELP}`,
  async run(args, io) {
    const opts = parseCommand('dump', args, WARNING_OPTIONS, true);
    if (opts.positionals.length > 1 || (opts.file && opts.positionals.length)) throw new UsageError('dump: one file at a time');
    const file = opts.file ?? opts.positionals[0];
    const report = new WarningReport('dump', opts.format, opts.values);
    const input = cliInput(file);
    const db = new UtmpFile(input.path, { stream: input.stream, onWarning: report.onWarning });
    const out = new RecordEmitter<UtmpEntry>(io.out, opts.format, formatDump);
    let progress = null as Progress | null;
    try {
      // A promise only when the output must drain: none a record.
      const each = (u: UtmpEntry) => {
        // The size is known from the first record on; the live database is small: no progress for it.
        progress ??= new Progress(io.err as NodeJS.WriteStream, safe(db.path), file ? db.progress.size : 0);
        if (progress.enabled) progress.update(db.progress.bytesRead);
        return out.emit(u);
      };
      let wait: Promise<void> | undefined;
      if (input.async) for await (const u of db) { if ((wait = each(u))) await wait; }
      else for (const u of db) if ((wait = each(u))) await wait;
    } catch (e) {
      return noLiveDatabase(explainMissing(e, db, file), file, io);
    } finally {
      progress?.done();
      db.close();
    }
    await out.end();
    return report.finish(io, 0, out.writer);
  },
};

