/** `utmpx dump`: every record of a database, every field, as utmpdump(1) lays them out. */
import type { UtmpEntry } from '../model/entry';
import { explainMissing } from '../functions';
import { UtmpFile } from '../utmp-file';
import { type Command, UsageError, safe } from './common';
import { cliInput } from './inputs';
import { noLiveDatabase } from './live';
import { parseCommand } from './args';
import { type LineWriter, RecordEmitter, writeIsoLocalMicros } from './output';
import { Progress } from './progress';
import { entryMs } from './time-format';
import { WARNING_HELP, WARNING_OPTIONS, WarningReport } from './warnings';

/**
 * utmpdump's line (`[type] [pid] [id] [user] [line] [host] [addr] [time]`,
 * time with microseconds and the local offset), then the fields utmpdump
 * leaves out: `[session] [termination exit]` ('-' where the layout has none).
 * `utmpdump -r` reads the first eight fields back and ignores the rest.
 * Fields are padded by bytes of UTF-8, as utmpdump's printf pads them
 * (`[müller ]`: 7 bytes and a space), so the columns have utmpdump's widths
 * in bytes; the strings are escaped first (see terminal.ts). Written into
 * `w` piece by piece: no string is made for the line.
 */
export function writeDumpLine(w: LineWriter, u: UtmpEntry): Promise<void> | undefined {
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
  writeIsoLocalMicros(w, entryMs(t), Math.round((t - Math.floor(t)) * 1e6) % 1e6);
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
  w.ascii(']');
  return w.endLine();
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
    const out = new RecordEmitter<UtmpEntry>(io.out, opts.format, () => '');
    let progress = null as Progress | null;
    try {
      // A promise only when the output must drain: none a record.
      const each = (u: UtmpEntry) => {
        // The size is known from the first record on; the live database is small: no progress for it.
        progress ??= new Progress(io.err as NodeJS.WriteStream, safe(db.path), file ? db.progress.size : 0);
        if (progress.enabled) progress.update(db.progress.bytesRead);
        return opts.format === 'human' ? writeDumpLine(out.writer, u) : out.emit(u);
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

