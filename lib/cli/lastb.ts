/** `utmpx lastb`: failed logins from btmp, newest first, as lastb(1). */
import type { UtmpEntry } from '../model/entry';
import { explainDenied, explainNoBtmp } from '../functions';
import { paths } from '../platform/platform';
import { UtmpFile } from '../utmp-file';
import * as fs from 'fs';
import { type Command, type CommandIO, safe } from './common';
import { cliInput } from './inputs';
import {
  type HistoryArgs, ROW_OPTIONS, type RowStyle, beginsLine, inWindow, lastRow, nameAddress, named,
  parseHistoryArgs, parseTime, rowStyle, writeLastRow,
} from './history';
import { RecordEmitter } from './output';
import { Progress } from './progress';
import { entryMs } from './time-format';
import { WARNING_HELP, WarningReport } from './warnings';

export const lastb: Command = {
  summary: 'lastb [-f FILE] [-n N] [NAME...]           failed logins (btmp), newest first',
  help: `Usage: utmpx lastb [options] [NAME...]
Lists the failed logins recorded in btmp (default ${paths().btmp}; readable by
root only), newest first, as lastb(1): every record of the file, whatever its
type. NAMEs keep only those users (or terminal lines). The file is read
backwards in chunks: constant memory however large it is.

  -f, --file FILE     read FILE instead of the system's btmp
  -n, --limit N, -N   show at most N lines (0: all)
  -s, --since TIME    only failed logins at or after TIME
  -t, --until TIME    only failed logins at or before TIME
                      TIME: YYYY-MM-DD[ HH:MM[:SS]] (local), ISO 8601, now, today,
                      yesterday, or relative: -5min, -2h, -3days, +1d
  -w, --fullnames     do not cut user and host names
      --json          one JSON array
      --ndjson        one JSON object a line, streamed
      --iso           times as ISO 8601
${WARNING_HELP}  -F, --fulltimes     full times and dates
  -R, --nohostname    no host column
  -a, --hostlast      the host in the last column, whole
  -i, --ip            the recorded IP address instead of the host
  -d, --dns           that address's host name where it has one
  -p, --present TIME  only failed logins at TIME (to the second)
      --time-format notime|short|full|iso
                      the time column: none, short (default), full (as -F) or iso
`,
  async run(args, io) {
    const a = parseHistoryArgs('lastb', args, ROW_OPTIONS);
    const rows = new Rows(a);
    const input = cliInput(a.file);
    const file = input.path ?? paths().btmp;
    const report = new WarningReport('lastb', a.format, a.values);
    if (input.async) return lastbForwards(a, rows, file, input.stream, io, report);
    const db = new UtmpFile(file, { newestFirst: true, onWarning: report.onWarning });
    // Rows read no ut_line, ut_id or ut_exit, and the address only for -i or -d: not decoded.
    if (a.format === 'human') db.hint({ pairingOnly: true, noAddressText: !a.values.ip && !a.values.dns });
    const times = { login: 0, logout: 0 }; // one object for every row: lastRow only reads it
    const out = new RecordEmitter<UtmpEntry>(io.out, a.format, (u) => rows.row(u));
    const windowed = a.since !== -Infinity || a.until !== Infinity;
    let progress: Progress | null = null;
    let shown = 0;
    try {
      for (let u = db.next().value; u !== undefined && shown < a.limit; u = db.next().value) {
        progress ??= new Progress(io.err as NodeJS.WriteStream, safe(file), db.progress.size);
        if (progress.enabled) progress.update(db.progress.bytesRead);
        if ((windowed && !inWindow(a, entryMs(u.ut_time))) || !named(a, u.ut_user, u.line) || !rows.present(u)) continue;
        shown++;
        let wait: Promise<void> | undefined;
        if (a.format === 'human') {
          if (rows.dns) await rows.nameOf(u);
          times.login = times.logout = entryMs(u.ut_time);
          wait = writeLastRow(out.writer, u.ut_user, u.line, rows.host(u), times, rows.style);
        } else {
          wait = out.emit(u);
        }
        if (wait) await wait;
      }
    } catch (e) {
      throw explainNoBtmp(explainDenied(e), file);
    } finally {
      progress?.done();
      db.close();
    }
    if (a.format === 'human' && !rows.style.noTime) await out.writer.line(beginsLine(file, rows.style.iso));
    await out.end();
    return report.finish(io, 0, out.writer);
  },
};

/**
 * lastb of a stream or a compressed file, which cannot be read backwards:
 * read forwards, the newest kept (with -n N, only N), then printed newest first.
 */
async function lastbForwards(a: HistoryArgs, rows: Rows, file: string, stream: boolean, io: CommandIO, report: WarningReport): Promise<number> {
  const out = new RecordEmitter<UtmpEntry>(io.out, a.format, (u) => rows.row(u));
  const kept: UtmpEntry[] = [];
  let first: Date | undefined;
  try {
    for await (const u of new UtmpFile(file, { stream, onWarning: report.onWarning })) {
      first ??= u.date;
      if (!inWindow(a, u.date) || !named(a, u.ut_user, u.line) || !rows.present(u)) continue;
      kept.push(u);
      if (kept.length > 2 * a.limit + 1024) kept.splice(0, kept.length - a.limit);
    }
  } catch (e) {
    throw explainDenied(e);
  }
  const newest = kept.slice(-Math.min(kept.length, a.limit)).reverse();
  for (const u of newest) {
    if (rows.dns && a.format === 'human') await rows.nameOf(u);
    await out.emit(u);
  }
  if (a.format === 'human' && !rows.style.noTime) await out.writer.line(beginsLine(file, rows.style.iso, first ?? (stream ? new Date() : fs.statSync(file).ctime)));
  await out.end();
  return report.finish(io, 0, out.writer);
}

/**
 * A failed login as last(1)'s row, with util-linux's row options (lastb is
 * last reading btmp): each attempt is a session that ends as it begins.
 */
class Rows {
  readonly style: RowStyle;
  readonly dns: boolean;
  private readonly ip: boolean;
  private readonly at: number | null;
  private readonly names = new Map<string, string>();

  constructor(a: HistoryArgs) {
    this.style = rowStyle('lastb', a);
    this.dns = Boolean(a.values.dns);
    this.ip = Boolean(a.values.ip);
    this.at = a.values.present !== undefined ? parseTime(a.values.present as string) : null;
  }

  /** -p TIME: an attempt is "present" only at its own second, as util-linux tests login <= TIME <= logout. */
  present(u: UtmpEntry): boolean {
    return this.at === null || Math.floor(entryMs(u.ut_time) / 1000) === this.at;
  }

  /** -d: looks the address's name up, once per address. */
  nameOf(u: UtmpEntry): Promise<void> {
    return nameAddress(u.address ?? '0.0.0.0', this.names);
  }

  /** The host column: the host, -i the address, -d its name (looked up by nameOf first). */
  host(u: UtmpEntry): string {
    if (this.dns) return this.names.get(u.address ?? '0.0.0.0') ?? u.address ?? '0.0.0.0';
    return this.ip ? u.address ?? '0.0.0.0' : u.ut_host;
  }

  row(u: UtmpEntry): string {
    return lastRow(u.ut_user, u.line, this.host(u), { login: u.date, logout: u.date }, this.style);
  }
}
