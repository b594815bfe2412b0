/** `utmpx dump`: every record of a database, every field, as utmpdump(1) lays them out. */
import { STORED_TV, type StoredTime, type UtmpEntry, dateCanHold } from '../model/entry';
import type { RecordLayout } from '../records/layouts';
import { type RecordDecoder, recordDecoder } from '../records/decoder';
import type { RecordRun } from '../records/forward-cursor';
import { typeName } from '../platform/platform';
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
 * terminal.ts; brackets too, see dumpFieldText). Written into `w` piece by
 * piece: no string is made for the line; the caller ends it. (LineFromBytes
 * writes the same line from a record's bytes.)
 */
export function writeDumpLine(w: LineWriter, u: UtmpEntry, extended = false): void {
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
  writeAddress(w, u.address ?? null);
  w.nextField();
  const stored = (u as { [STORED_TV]?: StoredTime })[STORED_TV];
  if (stored) {
    // A tv_usec that is no microsecond count prints as stored (`,%06d`: `,12345678`), as utmpdump prints it.
    fillUtcSeconds(entryMs(stored.sec));
    w.bytes(TIME, 0, SECONDS_END);
    w.ascii(stored.usec < 0 ? `-${String(-stored.usec).padStart(5, '0')}` : String(stored.usec));
    w.ascii('+00:00');
  } else {
    writeTime(w, u.ut_time);
  }
  if (extended) {
    w.nextField();
    if (u.ut_session === undefined) w.ascii('-');
    else w.int(u.ut_session);
    w.nextField();
    if (u.ut_exit) writeExit(w, u.ut_exit.e_termination, u.ut_exit.e_exit);
    else w.ascii('-');
  }
  w.ascii(']');
}

/**
 * writeDumpLine's line for a record, written from its bytes (no entry, no
 * string), where there is nothing to decode, escape or report: a known type
 * other than EMPTY, every string printable ASCII without a backslash,
 * tv_usec a microsecond count, a time a Date can hold. Any other record
 * gives false, with nothing written: the caller prints its entry instead,
 * whose decoding reports what it finds, so the bytes and the warnings are
 * those of the entry's line.
 */
export class LineFromBytes {
  private readonly fields: RecordDecoder; // its integer readers

  constructor(readonly layout: RecordLayout, private readonly extended: boolean) {
    this.fields = recordDecoder(layout);
  }

  /** Writes the line of the record at `at` of `buf` (the caller ends it); false, with nothing written, where it cannot. */
  write(w: LineWriter, buf: Buffer, at: number): boolean {
    const l = this.layout;
    const f = this.fields;
    const code = f.type(buf, at);
    const sec = f.sec(buf, at);
    const usec = f.usec(buf, at);
    const time = sec + usec / 1e6; // as Entry.setTime makes ut_time
    if (code === 0 || typeName(code, l.numbering) === 'UNKNOWN' || usec < 0 || usec > 999999 || !dateCanHold(time)) return false;
    const start = w.position;
    w.ascii('[');
    w.int(code);
    w.nextField();
    w.int(f.pid(buf, at), 5);
    w.nextField();
    if (!this.strings(w, buf, at)) {
      w.backTo(start);
      return false;
    }
    w.nextField();
    if (l.addr) w.address(buf, at + l.addr.offset, NO_ADDRESS, 15);
    else writeAddress(w, null);
    w.nextField();
    if (sec >= 0 && sec <= 0x7fffffff) writeWholeTime(w, sec, usec);
    else writeTime(w, time);
    if (this.extended) {
      w.nextField();
      if (f.session) w.int(f.session(buf, at));
      else w.ascii('-');
      w.nextField();
      if (f.exitStatus) writeExit(w, f.exitTermination!(buf, at), f.exitStatus(buf, at));
      else w.ascii('-');
    }
    w.ascii(']');
    return true;
  }

  // `[id] [user] [line] [host`, when every byte is one field() writes as it is.
  private strings(w: LineWriter, buf: Buffer, at: number): boolean {
    const l = this.layout;
    if (!w.plainBytes(buf, at + l.id.offset, l.id.size, 4)) return false;
    w.nextField();
    if (!w.plainBytes(buf, at + l.user.offset, l.user.size, 8)) return false;
    w.nextField();
    if (!w.plainBytes(buf, at + l.line.offset, l.line.size, 12)) return false;
    w.nextField();
    return w.plainBytes(buf, at + l.host.offset, l.host.size, 20);
  }
}

const NO_ADDRESS = '0.0.0.0';

// The address padded to 15 (`%-15s`); 0.0.0.0 where none is recorded.
function writeAddress(w: LineWriter, address: string | null): void {
  const text = address ?? NO_ADDRESS;
  w.ascii(text);
  w.spaces(15 - text.length);
}

function writeExit(w: LineWriter, termination: number, status: number): void {
  w.int(termination);
  w.ascii(' ');
  w.int(status);
}

/**
 * A line for each record of `runs`: from its bytes where LineFromBytes can,
 * from its entry otherwise. A promise only where the output must drain.
 */
export async function dumpRecords(runs: { takeRecordsSync(): RecordRun | null }, w: LineWriter, extended: boolean, progressOf: () => Progress): Promise<void> {
  let lines: LineFromBytes | undefined;
  let wait: Promise<void> | undefined;
  for (let run = runs.takeRecordsSync(); run; run = runs.takeRecordsSync()) {
    const progress = progressOf();
    lines ??= new LineFromBytes(run.layout, extended); // one layout a file
    const size = run.layout.size;
    for (let at = run.start; at < run.end; at += size) {
      if (progress.enabled) progress.update(run.fileOffset + at);
      if (!lines.write(w, run.buf, at)) writeDumpLine(w, run.entry(at), extended);
      if ((wait = w.endLine())) await wait;
    }
  }
}

const DAY_MS = 86400000;
// utmpdump's time (ISO_TIMESTAMP_COMMA_GT: always UTC), made here and copied
// whole into the line. Its date is made again only when the day changes (rows
// come in time order: the same day again and again).
const TIME = Buffer.from('YYYY-MM-DDTHH:MM:SS,ffffff+00:00', 'latin1');
const SECONDS_END = 20; // after `YYYY-MM-DDTHH:MM:SS,`
let timeDay = NaN;

// `YYYY-MM-DDTHH:MM:SS,ffffff+00:00` of a record's ut_time.
function writeTime(w: LineWriter, time: number): void {
  fillUtcSeconds(entryMs(time));
  fillMicroseconds(Math.round((time - Math.floor(time)) * 1e6) % 1e6);
  w.bytes(TIME, 0, TIME.length);
}

/**
 * writeTime's bytes from whole seconds (0 to 2^31 - 1) and microseconds (0 to
 * 999,999), with no float rounding: the same, because `sec + usec / 1e6` is then
 * within a quarter of a microsecond of the exact time, so writeTime's rounding
 * gives back `sec` and `usec`.
 */
function writeWholeTime(w: LineWriter, sec: number, usec: number): void {
  fillUtcSeconds(sec * 1000);
  fillMicroseconds(usec);
  w.bytes(TIME, 0, TIME.length);
}

// TIME's `YYYY-MM-DDTHH:MM:SS,` for `ms`.
function fillUtcSeconds(ms: number): void {
  const day = Math.floor(ms / DAY_MS);
  if (day !== timeDay) {
    timeDay = day;
    TIME.write(new Date(day * DAY_MS).toISOString().slice(0, 11), 0, 'latin1');
  }
  const s = Math.floor((ms - day * DAY_MS) / 1000);
  twoDigits(11, Math.floor(s / 3600));
  twoDigits(14, Math.floor(s / 60) % 60);
  twoDigits(17, s % 60);
}

// TIME's six digits of microseconds (0 to 999,999).
function fillMicroseconds(usec: number): void {
  const high = (usec / 10000) | 0;
  const rest = usec - high * 10000;
  const middle = (rest / 100) | 0;
  twoDigits(SECONDS_END, high);
  twoDigits(SECONDS_END + 2, middle);
  twoDigits(SECONDS_END + 4, rest - middle * 100);
}

function twoDigits(at: number, n: number): void {
  const q = (n / 10) | 0;
  TIME[at] = 0x30 + q;
  TIME[at + 1] = 0x30 + n - 10 * q;
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
      // The size is known from the first record on; the live database is small: no progress for it.
      const newProgress = () => new Progress(io.err as NodeJS.WriteStream, safe(db.path), file ? db.progress.size : 0);
      // A promise only when the output must drain: none a record.
      const each = (u: UtmpEntry) => {
        progress ??= newProgress();
        if (progress.enabled) progress.update(db.progress.bytesRead);
        if (opts.format !== 'human') return out.emit(u);
        writeDumpLine(out.writer, u, extended);
        return out.writer.endLine();
      };
      let wait: Promise<void> | undefined;
      // A file read forwards, printed as text: most lines from the records' bytes (see dumpRecords).
      const runs = opts.format === 'human' && !input.async ? db.recordRuns() : null;
      if (runs) await dumpRecords(runs, out.writer, extended, () => (progress ??= newProgress()));
      else if (input.async) for await (const u of db) { if ((wait = each(u))) await wait; }
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

