/** `utmpx dump`: every record of a database, every field, as utmpdump(1) lays them out. */
import { STORED_TV, type StoredTime, type UtmpEntry } from '../model/entry';
import { explainMissing } from '../functions';
import { UtmpFile } from '../utmp-file';
import { type Command, UsageError, safe } from './common';
import { cliInput } from './inputs';
import { noLiveDatabase } from './live';
import { parseCommand } from './args';
import { type LineWriter, RecordEmitter } from './output';
import { Progress } from './progress';
import { entryMs } from './time-format';
import { WARNING_HELP, WARNING_OPTIONS, WarningReport } from './warnings';

/**
 * utmpdump's line (`[type] [pid] [id] [user] [line] [host] [addr] [time]`,
 * the time in UTC whatever TZ says, as utmpdump prints it), and with
 * `extended` the fields utmpdump leaves out: `[session] [termination exit]`
 * ('-' where the layout has none). `utmpdump -r` reads the first eight fields
 * back and ignores the rest. Fields are padded by bytes of UTF-8, as
 * utmpdump's printf pads them (`[müller ]`: 7 bytes and a space), so the
 * columns have utmpdump's widths in bytes; the strings are escaped first (see
 * terminal.ts). Written into `w` piece by piece: no string is made for the line.
 */
export function writeDumpLine(w: LineWriter, u: UtmpEntry, extended = false): Promise<void> | undefined {
  const t = u.ut_time;
  w.ascii('[');
  w.int(u.ut_type_code);
  w.nextField();
  w.int(u.ut_pid ?? 0, 5);
  w.nextField();
  w.field(u.ut_id ?? '', 4);
  w.nextField();
  w.field(u.ut_user, 8);
  w.nextField();
  w.field(u.line, 12);
  w.nextField();
  w.field(u.ut_host, 20);
  w.nextField();
  const addr = u.address ?? '0.0.0.0';
  w.ascii(addr);
  w.spaces(15 - addr.length);
  w.nextField();
  const stored = (u as { [STORED_TV]?: StoredTime })[STORED_TV];
  if (stored) {
    // A tv_usec that is no microsecond count prints as stored (`,%06d`: `,12345678`), as utmpdump prints it.
    writeUtcSeconds(w, entryMs(stored.sec));
    w.ascii(stored.usec < 0 ? `-${String(-stored.usec).padStart(5, '0')}` : String(stored.usec));
  } else {
    writeUtcSeconds(w, entryMs(t));
    w.six(Math.round((t - Math.floor(t)) * 1e6) % 1e6);
  }
  w.ascii('+00:00');
  if (extended) {
    w.nextField();
    if (u.ut_session === undefined) w.ascii('-');
    else w.int(u.ut_session);
    w.nextField();
    if (u.ut_exit) {
      w.int(u.ut_exit.e_termination);
      w.ascii(' ');
      w.int(u.ut_exit.e_exit);
    } else {
      w.ascii('-');
    }
  }
  w.ascii(']');
  return w.endLine();
}

const DAY_MS = 86400000;
// The date writeUtcSeconds last wrote (rows come in time order: the same day again and again).
let utcDay = NaN;
let utcDate = '';

/** `YYYY-MM-DDTHH:MM:SS,` of utmpdump's time (ISO_TIMESTAMP_COMMA_GT: always UTC); the microseconds and `+00:00` follow. */
function writeUtcSeconds(w: LineWriter, ms: number): void {
  const day = Math.floor(ms / DAY_MS);
  if (day !== utcDay) {
    utcDay = day;
    utcDate = new Date(day * DAY_MS).toISOString().slice(0, 11);
  }
  const s = Math.floor((ms - day * DAY_MS) / 1000);
  w.ascii(utcDate);
  w.two(Math.floor(s / 3600));
  w.ascii(':');
  w.two(Math.floor(s / 60) % 60);
  w.ascii(':');
  w.two(s % 60);
  w.ascii(',');
}

export const dump: Command = {
  summary: 'dump [-f FILE] [-e] [--json|--ndjson]      every record, as utmpdump',
  help: `Usage: utmpx dump [-f FILE] [--extended] [--json | --ndjson] [FILE]
Prints every record of a utmp, wtmp or btmp file in file order, as
utmpdump(1) prints it (times in UTC, whatever TZ says). Reads the system's
utmp when no file is given. Large files are streamed.

  -f, --file FILE  the file to read (or give it as the argument)
  -e, --extended   also the fields utmpdump leaves out: [session] and
                   [termination exit] after the time
      --json       one JSON array of entries
      --ndjson     one JSON entry a line, streamed
${WARNING_HELP}`,
  async run(args, io) {
    const opts = parseCommand('dump', args, { extended: { type: 'boolean', short: 'e' }, ...WARNING_OPTIONS }, true);
    const extended = Boolean(opts.values.extended);
    if (opts.positionals.length > 1 || (opts.file && opts.positionals.length)) throw new UsageError('dump: one file at a time');
    const file = opts.file ?? opts.positionals[0];
    const report = new WarningReport('dump', opts.format, opts.values);
    const input = cliInput(file);
    const db = new UtmpFile(input.path, { stream: input.stream, onWarning: report.onWarning });
    const out = new RecordEmitter<UtmpEntry>(io.out, opts.format, () => '');
    let progress = null as Progress | null;
    try {
      // A promise only when the output must drain: none a record.
      const each = (u: UtmpEntry) => {
        // The size is known from the first record on; the live database is small: no progress for it.
        progress ??= new Progress(io.err as NodeJS.WriteStream, safe(db.path), file ? db.progress.size : 0);
        if (progress.enabled) progress.update(db.progress.bytesRead);
        return opts.format === 'human' ? writeDumpLine(out.writer, u, extended) : out.emit(u);
      };
      let wait: Promise<void> | undefined;
      if (input.async) for await (const u of db) { if ((wait = each(u))) await wait; }
      // nextEntry, not for...of: no iterator result object per record.
      else for (let u = db.nextEntry(); u; u = db.nextEntry()) if ((wait = each(u))) await wait;
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

