/** `utmpx who`: who is logged in, from the live database, like who(1). */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as tty from 'tty';
import type { UtmpEntry } from '../model/entry';
import { explainMissing, liveSource, processExists, toRunLevel, users } from '../functions';
import { UtmpFile } from '../utmp-file';
import { type Command, UsageError, safe } from './common';
import { SOURCE_HELP, SOURCE_OPTION, noLiveDatabase, sourceOf } from './live';
import { cTimeLocale } from './locale';
import { ISO_OPTION, type ParsedArgs, parseCommand } from './args';
import { RecordEmitter } from './output';
import { p2, whoTime } from './time-format';
import { WARNING_HELP, WARNING_OPTIONS, WarningReport } from './warnings';

/** One line per session, in who(1)'s columns. */
export function formatWho(u: UtmpEntry, iso = false): string {
  const host = u.ut_host ? ` (${safe(u.ut_host)})` : '';
  return `${safe(u.ut_user).padEnd(8)} ${safe(u.line).padEnd(12)} ${whoTime(u.date, iso)}${host}`;
}

/** What coreutils who's options ask for. */
interface WhoView {
  users: boolean; boot: boolean; deadProcesses: boolean; login: boolean; initSpawn: boolean; runLevel: boolean; clockChange: boolean;
  /** The idle and pid columns (who's !short_output), the idle one, the exit one, the message state (-T). */
  long: boolean; idle: boolean; exit: boolean; mesg: boolean;
  heading: boolean; count: boolean; iso: boolean;
}

/** The options as coreutils' who.c combines them (-a is -b -d -l -p -r -t -T -u). */
function viewOf(v: ParsedArgs['values'], iso: boolean): WhoView {
  const all = Boolean(v.all);
  const view: WhoView = {
    users: all || Boolean(v.users), boot: all || Boolean(v.boot), deadProcesses: all || Boolean(v.dead),
    login: all || Boolean(v.login), initSpawn: all || Boolean(v.process), runLevel: all || Boolean(v.runlevel),
    clockChange: all || Boolean(v.time), long: false, idle: false, exit: all || Boolean(v.dead),
    mesg: all || Boolean(v.mesg), heading: Boolean(v.heading), count: Boolean(v.count), iso,
  };
  view.idle = all || view.deadProcesses || view.login || view.runLevel || view.users;
  const chosen = view.users || view.boot || view.deadProcesses || view.login || view.initSpawn || view.runLevel || view.clockChange;
  if (!chosen) view.users = true; // who's default: users, short
  else view.long = true;
  if (view.exit) view.long = true;
  return view;
}

/** who.c's print_line: fixed columns, then trailing spaces removed. */
function whoLine(view: WhoView, user: string, state: string, line: string, time: string, idle: string, pid: string, comment: string, exit: string): string {
  const timeWidth = view.iso ? 25 : cTimeLocale() ? 12 : 16; // who.c's time_format_width
  const text = `${user.padEnd(8)}${view.mesg ? ` ${state}` : ''} ${line.padEnd(12)} ${time.padEnd(timeWidth)}` +
    `${view.idle && view.long ? ` ${idle.padEnd(6)}` : ''}${view.long ? ` ${pid.padStart(10)}` : ''} ${comment.padEnd(8)}` +
    `${view.exit ? ` ${exit.padEnd(12)}` : ''}`;
  return text.trimEnd();
}

/** who's idle column: '.' under a minute, HH:MM under a day since this boot, 'old', '?' for no device. */
function idleOf(atimeSec: number, bootSec: number, nowSec: number): string {
  if (bootSec < atimeSec && nowSec - 86400 < atimeSec && atimeSec <= nowSec) {
    const idle = nowSec - atimeSec;
    return idle < 60 ? '  .  ' : `${p2(Math.floor(idle / 3600))}:${p2(Math.floor((idle % 3600) / 60))}`;
  }
  return ' old ';
}

/** The terminal's message state (-T: '+' writable by the group, '-' not, '?' no device) and idle time. */
function terminalOf(u: UtmpEntry, bootSec: number): { state: string; idle: string } {
  const device = u.line.startsWith('/') ? u.line : `/dev/${u.line}`;
  let st: fs.Stats;
  try {
    st = fs.statSync(device);
  } catch {
    return { state: '?', idle: '  ?' };
  }
  const atime = Math.floor(st.atimeMs / 1000);
  return { state: st.mode & 0o020 ? '+' : '-', idle: atime ? idleOf(atime, bootSec, Math.floor(Date.now() / 1000)) : '  ?' };
}

/**
 * The terminal on standard input without '/dev/' (`pts/3`), as who -m
 * compares it with each entry's line; null when stdin is no terminal.
 */
export function stdinLine(): string | null {
  if (!tty.isatty(0)) return null;
  let name: string;
  try {
    name = fs.readlinkSync('/proc/self/fd/0'); // Linux; elsewhere tty(1) says what ttyname(0) says
  } catch {
    const r = spawnSync('tty', [], { stdio: [0, 'pipe', 'ignore'], encoding: 'utf8' });
    if (r.status !== 0) return null;
    name = r.stdout.trimEnd();
  }
  return name.startsWith('/dev/') ? name.slice(5) : name;
}

const idEquals = (u: UtmpEntry) => `id=${safe(u.ut_id ?? '')}`;

/** The lines who prints for `entries` with these options, in file order. */
export function whoLines(entries: UtmpEntry[], view: WhoView): string[] {
  const lines: string[] = [];
  if (view.heading) lines.push(whoLine(view, 'NAME', ' ', 'LINE', 'TIME', 'IDLE', 'PID', 'COMMENT', 'EXIT'));
  let bootSec = 0;
  for (const u of entries) {
    const time = whoTime(u.date, view.iso);
    const pid = String(u.ut_pid ?? 0);
    if (u.ut_type === 'USER_PROCESS' && u.ut_user !== '' && view.users) {
      const t = view.mesg || view.idle ? terminalOf(u, bootSec) : { state: ' ', idle: '' };
      lines.push(whoLine(view, safe(u.ut_user), t.state, safe(u.line), time, t.idle, pid, u.ut_host ? `(${safe(u.ut_host)})` : '', ''));
    } else if (u.ut_type === 'RUN_LVL' && view.runLevel) {
      const level = toRunLevel(u);
      const last = level.previous ? `last=${level.previous === 'N' ? 'S' : level.previous}` : '';
      lines.push(whoLine(view, '', ' ', `run-level ${safe(String.fromCharCode(level.code))}`, time, '', '', last, ''));
    } else if (u.ut_type === 'BOOT_TIME' && view.boot) {
      lines.push(whoLine(view, '', ' ', 'system boot', time, '', '', '', ''));
    } else if (u.ut_type === 'NEW_TIME' && view.clockChange) {
      lines.push(whoLine(view, '', ' ', 'clock change', time, '', '', '', ''));
    } else if (u.ut_type === 'INIT_PROCESS' && view.initSpawn) {
      lines.push(whoLine(view, '', ' ', safe(u.line), time, '', pid, idEquals(u), ''));
    } else if (u.ut_type === 'LOGIN_PROCESS' && view.login) {
      lines.push(whoLine(view, 'LOGIN', ' ', safe(u.line), time, '', pid, idEquals(u), ''));
    } else if (u.ut_type === 'DEAD_PROCESS' && view.deadProcesses) {
      const exit = `term=${u.ut_exit?.e_termination ?? 0} exit=${u.ut_exit?.e_exit ?? 0}`;
      lines.push(whoLine(view, '', ' ', safe(u.line), time, '', pid, idEquals(u), exit));
    }
    if (u.ut_type === 'BOOT_TIME') bootSec = Math.floor(u.date.getTime() / 1000);
  }
  return lines;
}

export const who: Command = {
  summary: 'who [-abdHlmpqrTtu] [FILE] [--json|--ndjson] who is logged in',
  help: `Usage: utmpx who [options] [FILE | am i]
Lists the users logged in now (the USER_PROCESS entries of utmp, or the
sessions of systemd-logind where the system keeps no utmp), as who(1).
FILE (or -f FILE) reads that file instead (a wtmp too).

  -f, --file FILE  read FILE instead of the system's utmp
  -a, --all        -b -d -l -p -r -t -T -u together
  -b, --boot       the time of the last boot(s)
  -d, --dead       dead processes
  -H, --heading    a line of column headings
  -l, --login      the system's login processes
  -m               only the terminal on standard input (also: who am i)
  -p, --process    processes spawned by init
  -q, --count      the login names and their number
  -r, --runlevel   the run level
  -t, --time       the last clock changes
  -T, --mesg       '+', '-' or '?': whether the terminal accepts messages
  -u, --users      also the idle time and the login process's pid
      --json       one JSON array of entries (every field)
      --ndjson     one JSON entry a line
      --iso        times as ISO 8601 (default: local 'YYYY-MM-DD HH:MM')
      --stale      keep entries whose login process is gone (the system's
                   utmp drops them by default, as who(1) does)
${SOURCE_HELP}${WARNING_HELP}`,
  async run(args, io) {
    const opts = parseCommand('who', args, {
      all: { type: 'boolean', short: 'a' }, stale: { type: 'boolean' }, boot: { type: 'boolean', short: 'b' },
      dead: { type: 'boolean', short: 'd' }, heading: { type: 'boolean', short: 'H' }, login: { type: 'boolean', short: 'l' },
      process: { type: 'boolean', short: 'p' }, count: { type: 'boolean', short: 'q' }, runlevel: { type: 'boolean', short: 'r' },
      me: { type: 'boolean', short: 'm' }, time: { type: 'boolean', short: 't' }, mesg: { type: 'boolean', short: 'T' }, users: { type: 'boolean', short: 'u' },
      ...ISO_OPTION, ...SOURCE_OPTION, ...WARNING_OPTIONS,
    }, true);
    // coreutils: two words (`who am i`) mean -m on the system's database.
    const amI = opts.positionals.length === 2;
    if (opts.positionals.length > 2 || (opts.file !== undefined && opts.positionals.length === 1)) throw new UsageError('who: one file at a time');
    const file = opts.file ?? (amI ? undefined : opts.positionals[0]);
    const source = sourceOf('who', { ...opts, file });
    const view = viewOf(opts.values, opts.iso);
    const plain = !view.long && !view.mesg && !view.heading && !view.count;
    const report = new WarningReport('who', opts.format, opts.values);
    let entries: UtmpEntry[];
    try {
      if (plain || liveSource({ path: file, source }) === 'logind') {
        const dropStale = file === undefined && !opts.values.stale;
        entries = users({ path: file, dropStale, source, onWarning: report.onWarning });
      } else {
        const db = new UtmpFile(file, { onWarning: report.onWarning });
        try {
          entries = db.toArray();
          // who checks the pids of the system's utmp only, as users() does.
          if (file === undefined && !opts.values.stale) entries = entries.filter((u) => u.ut_type !== 'USER_PROCESS' || processExists(u.ut_pid ?? 0));
        } catch (e) {
          throw explainMissing(e, db, file);
        } finally {
          db.close();
        }
      }
    } catch (e) {
      return noLiveDatabase(e, file, io, opts.format === 'json');
    }
    // -q counts everyone whatever -m says, as coreutils' who does.
    if ((opts.values.me || amI) && !view.count) {
      const line = stdinLine();
      entries = entries.filter((u) => u.line === line);
    }
    const out = new RecordEmitter<UtmpEntry>(io.out, opts.format, (u) => formatWho(u, opts.iso));
    if (opts.format !== 'human') {
      for (const u of entries) await out.emit(u);
    } else if (view.count) {
      const names = entries.filter((u) => u.ut_type === 'USER_PROCESS' && u.ut_user !== '').map((u) => safe(u.ut_user));
      await out.writer.line(`${names.join(' ')}\n# users=${names.length}`);
    } else if (plain) {
      for (const u of entries) await out.emit(u);
    } else {
      for (const l of whoLines(entries, view)) await out.writer.line(l);
    }
    await out.end();
    return report.finish(io, 0, out.writer);
  },
};
