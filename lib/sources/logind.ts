/**
 * Current sessions from systemd-logind, for systems that keep no utmp
 * (Debian 13, Ubuntu 25.10+, openSUSE Tumbleweed, SLE/Leap 16).
 *
 * The addon asks libsystemd's public sd-login API (loaded at run time:
 * `libsystemd.so.0`, else elogind's `libelogind.so.0`). Each session is given
 * two ways: every logind field (`logindSessions()`), and as the utmp entries
 * coreutils 9.4+ `who` makes of it (`logindEntries()`), so that `users()` and
 * `new UtmpFile()` answer there as on a utmp system.
 *
 * Fields a libsystemd older than 254 has no getter for (user name, leader,
 * start time): the addon reads the same keys of the session file that 254's
 * getters read (`USER=`, `LEADER=`, `REALTIME=`), so the answer is what a newer
 * libsystemd gives. A user name still unknown comes from /etc/passwd by uid; a
 * start time still unknown is null (the entry's `ut_time` is then 0, as
 * coreutils makes it); a leader still unknown is null (pid 0).
 *
 * When logind answers (`liveSource()`; the rule is `chooseLiveSource` in
 * platform.ts): only for the system's live utmp (no path given), when there
 * is no utmp file, sd-login loads, and logind keeps
 * its session directory (`/run/systemd/sessions`) on a system booted with
 * systemd (`/run/systemd/system`, sd_booted's test) or with sessions listed in
 * it (elogind; a root where sessions are written by hand). A system that still
 * keeps utmp (Fedora, Debian 12, RHEL 9) is read from utmp, as are paths.
 */
import { SnapshotCursor } from '../records/entry-cursor';
import * as fs from 'fs';
import { Entry, MAX_DATE_MS, dateCanHold, devicePath, type UtmpEntry } from '../model/entry';
import { type NativeAddon, type NativeLogindSession, type NativeLogindSnapshot, tryNative } from '../platform/native';
import { sdLoginUnavailable } from '../model/errors';
import { parsePasswdText } from '../platform/accounts';
import { leadersAlive } from '../platform/processes';
import { LOGIND_SESSIONS_DIR, type LiveFacts, SYSTEMD_BOOTED_DIR, chooseLiveSource, typeCode } from '../platform/platform';
import { type WarningOptions, WarningSink, timeOutOfRange } from '../model/warnings';


/** A session of systemd-logind, every field sd-login gives; null where it gives none. */
export interface LogindSession {
  /** The session id (`loginctl list-sessions`), e.g. `3` or `c1`. */
  id: string;
  uid: number | null;
  /** The user name; '' when neither sd-login, /etc/passwd nor the session file know it. */
  user: string;
  /** `user`, `user-early`, `user-incomplete`, `greeter`, `lock-screen`, `background`, `manager`, ... */
  class: string | null;
  /** `tty`, `x11`, `wayland`, `mir`, `web`, `unspecified`. */
  type: string | null;
  /** `online`, `active`, `closing`. */
  state: string | null;
  seat: string | null;
  /** The virtual terminal number. */
  vt: number | null;
  /** The line: the tty as logind records it (`pts/0`, `tty1`), or null (ssh sessions have none). */
  line: string | null;
  /** The X11 display (`:0`). */
  display: string | null;
  /** The PAM service (`sshd`, `login`, `gdm-password`). */
  service: string | null;
  remoteHost: string | null;
  remoteUser: string | null;
  desktop: string | null;
  active: boolean | null;
  remote: boolean | null;
  /** The session leader's pid. */
  leader: number | null;
  /** When the session began, microseconds since the epoch. */
  startTimeUsec: number | null;
  /** `startTimeUsec` as a Date (millisecond precision); a time no Date can hold is the nearest one (`startTimeUsec` keeps it as recorded). */
  startTime: Date | null;
  /** For a `tty` session without a tty (ssh): the pty `who` shows for it, guessed as coreutils does (`pts/1`). */
  guessedPty: string | null;
  /** Fields not from an sd-login getter, and where they came from (libsystemd older than 254). */
  fallbacks: Partial<Record<'user' | 'leader' | 'startTime', 'session-file' | 'passwd'>>;
  /** Which database answered (a `DataSource`): always logind. */
  source: 'logind';
}

/** A utmp-shaped entry made from a logind session, as coreutils' who makes it. */
export class LogindEntry extends Entry {
  /** Where the entry came from. */
  readonly source = 'logind' as const;

  /** A copy: the same fields, its own object. @internal */
  override copy(): this {
    const c = super.copy();
    (c as { source: 'logind' }).source = 'logind';
    return c;
  }
}

/** uid to name, from /etc/passwd, read again only when it changes. @internal */
export class PasswdNames {
  private names = new Map<number, string>();
  private stamp = '';

  constructor(private readonly file = '/etc/passwd') {}

  nameOf(uid: number): string | undefined {
    return this.current().get(uid);
  }

  /** The names as the file is now (one stat; read again when it changed). */
  current(): Map<number, string> {
    let st: fs.Stats;
    try {
      st = fs.statSync(this.file);
    } catch {
      return new Map();
    }
    const stamp = `${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`;
    if (stamp !== this.stamp) {
      try {
        this.names = parsePasswd(fs.readFileSync(this.file, 'utf8'));
      } catch {
        this.names = new Map();
      }
      this.stamp = stamp;
    }
    return this.names;
  }
}

/** The first name of each uid in passwd(5) text. */
export function parsePasswd(text: string): Map<number, string> {
  return parsePasswdText(text).byUid;
}

const passwd = new PasswdNames();

/**
 * The rich session from what the addon read; `nameOf` maps a uid to a name
 * when neither sd-login nor the session file gave one.
 */
export function toLogindSession(raw: NativeLogindSession, nameOf: (uid: number) => string | undefined = (u) => passwd.nameOf(u)): LogindSession {
  const fallbacks: LogindSession['fallbacks'] = {};
  for (const f of raw.fromFile) fallbacks[f] = 'session-file';
  let user = raw.user ?? '';
  if (raw.user === undefined && raw.uid !== undefined) {
    const fromPasswd = nameOf(raw.uid);
    if (fromPasswd !== undefined) {
      user = fromPasswd;
      fallbacks.user = 'passwd';
    }
  }
  const usec = raw.startUsec ?? null;
  return {
    id: raw.id,
    uid: raw.uid ?? null,
    user,
    class: raw.class ?? null,
    type: raw.type ?? null,
    state: raw.state ?? null,
    seat: raw.seat ?? null,
    vt: raw.vt ?? null,
    line: raw.tty ?? null,
    display: raw.display ?? null,
    service: raw.service ?? null,
    remoteHost: raw.remoteHost ?? null,
    remoteUser: raw.remoteUser ?? null,
    desktop: raw.desktop ?? null,
    active: raw.active ?? null,
    remote: raw.remote ?? null,
    leader: raw.leader ?? null,
    startTimeUsec: usec,
    startTime: usec === null ? null : startDate(usec),
    guessedPty: raw.guessedPty ?? null,
    fallbacks,
    source: 'logind',
  };
}

/**
 * The Date of a start time in µs: the nearest Date to one no Date can hold
 * (REALTIME is any 64-bit number; sd-login takes 2^64-1), never an Invalid Date.
 */
export function startDate(usec: number): Date {
  return new Date(Math.min(Math.floor(usec / 1000), MAX_DATE_MS));
}

/** TIME_OUT_OF_RANGE for each entry whose time no Date can hold, naming its session's file. */
function reportTimes(entries: readonly UtmpEntry[], sink: WarningSink): void {
  for (const e of entries) {
    if (!dateCanHold(e.ut_time)) sink.report(timeOutOfRange(e.ut_time, `${LOGIND_SESSIONS_DIR}/${e.ut_id}`, 0));
  }
}

const USER_PROCESS = typeCode('USER_PROCESS', 'linux')!;
const LOGIN_PROCESS = typeCode('LOGIN_PROCESS', 'linux')!;
const BOOT_TIME = typeCode('BOOT_TIME', 'linux')!;

/**
 * The utmp entries coreutils (9.4 and later, lib/readutmp.c) makes of a
 * session, in its order: one for the seat, one for the tty, or none.
 * - tty: logind's; else for a `tty` session (ssh) the PAM service and the
 *   guessed pty (`sshd pts/1`), or either alone; for a `web` session the service.
 * - host: `remote_user@remote_host`, the remote host, or for an `x11` session
 *   its display.
 * - class `manager*` (the user's service manager) is a LOGIN_PROCESS, not a
 *   user: who, users and `users()` leave it out.
 * - pid and `ut_session`: the leader; `ut_id`: the session id; time: the start.
 * A tty recorded by logind is a device (`ut_line` `/dev/pts/0`); a seat or a
 * service stays as it is. `line` is what who prints.
 */
export function logindEntries(s: LogindSession): LogindEntry[] {
  let tty = s.line;
  let ttyIsDevice = tty !== null;
  if (tty === null && s.type === 'tty') {
    tty = s.service !== null && s.guessedPty !== null ? `${s.service} ${s.guessedPty}` : (s.service ?? s.guessedPty);
    ttyIsDevice = s.service === null && s.guessedPty !== null;
  } else if (tty === null && s.type === 'web') {
    tty = s.service;
  }
  if (s.seat === null && tty === null) return [];
  const code = s.class !== null && s.class.startsWith('manager') ? LOGIN_PROCESS : USER_PROCESS;
  let host = '';
  if (s.remoteHost !== null) host = s.remoteUser !== null ? `${s.remoteUser}@${s.remoteHost}` : s.remoteHost;
  else if (s.type === 'x11' && s.display !== null) host = s.display;
  const usec = s.startTimeUsec ?? 0;
  const sec = Math.floor(usec / 1e6);
  const pid = s.leader ?? 0;
  const make = (line: string, device: string) => {
    const e = new LogindEntry();
    e.setType(code, 'linux');
    e.ut_pid = pid;
    e.line = line;
    e.ut_line = device;
    e.ut_id = s.id;
    e.ut_user = s.user;
    e.ut_host = host;
    e.setTime(sec, usec - sec * 1e6);
    e.ut_session = pid;
    return e;
  };
  const out: LogindEntry[] = [];
  if (s.seat !== null) out.push(make(s.seat, s.seat));
  if (tty !== null) out.push(make(tty, ttyIsDevice ? devicePath(tty) : tty));
  return out;
}

/** The BOOT_TIME entry coreutils puts first when it reads logind (`reboot`, line `~`). */
export function bootEntry(bootSeconds: number): LogindEntry {
  const e = new LogindEntry();
  e.setType(BOOT_TIME, 'linux');
  e.line = '~';
  e.ut_line = '~';
  e.ut_user = 'reboot';
  e.setTime(bootSeconds, 0);
  return e;
}

const libraries = new WeakMap<NativeAddon, string | null>();

/** The library providing sd-login here, or null (asked of the addon once: it loads it once). */
export function logindLibrary(addon: NativeAddon | null = tryNative()): string | null {
  if (!addon) return null;
  let library = libraries.get(addon);
  if (library === undefined) {
    library = addon.logindInfo?.().library ?? null;
    libraries.set(addon, library);
  }
  return library;
}

// systemd stays PID 1 until the machine stops: once seen, not asked again.
let booted = false;

/** The facts, and the state of the session directory seen, for the reader to reuse within the same call. */
function gatherFacts(utmpPath: string, addon: NativeAddon | null): { facts: LiveFacts; dir: DirectoryState | null } {
  const facts: LiveFacts = {
    utmpExists: fs.existsSync(utmpPath),
    logindLibrary: null,
    sessionsDir: false,
    systemdBooted: false,
    sessionsListed: false,
  };
  if (facts.utmpExists) return { facts, dir: null };
  facts.logindLibrary = logindLibrary(addon);
  if (facts.logindLibrary === null) return { facts, dir: null };
  const dir = directoryState();
  if (!dir?.isDirectory) return { facts, dir: null };
  facts.sessionsDir = true;
  facts.systemdBooted = booted ||= fs.existsSync(SYSTEMD_BOOTED_DIR);
  if (!facts.systemdBooted) {
    if (kept && kept.key === dir.key) {
      facts.sessionsListed = kept.snap.sessions.length > 0; // the directory as last read
    } else {
      try {
        facts.sessionsListed = fs.readdirSync(LOGIND_SESSIONS_DIR).some((n) => /^[A-Za-z0-9]+$/.test(n));
      } catch {
        // unreadable: nothing listed
      }
    }
  }
  return { facts, dir };
}

/**
 * Why logind cannot answer for the live database here, each missing piece
 * named (the rule is `chooseLiveSource`); empty when it can.
 */
export function whyNoLogind(addon: NativeAddon | null = tryNative()): string[] {
  const why: string[] = [];
  if (logindLibrary(addon) === null) why.push('no libsystemd (neither libsystemd.so.0 nor libelogind.so.0 loads)');
  const booted = fs.existsSync(SYSTEMD_BOOTED_DIR);
  if (!booted) why.push(`no ${SYSTEMD_BOOTED_DIR} (not booted with systemd)`);
  let listed = false;
  try {
    listed = fs.readdirSync(LOGIND_SESSIONS_DIR).some((n) => /^[A-Za-z0-9]+$/.test(n));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') {
      why.push(`no session directory ${LOGIND_SESSIONS_DIR} (logind is not running)`);
      return why;
    }
  }
  if (!booted && !listed) why.push(`${LOGIND_SESSIONS_DIR} lists no session`);
  return why;
}

/** Gathers `LiveFacts` from this machine (a few stat calls). */
export function liveFacts(utmpPath: string, addon: NativeAddon | null = tryNative()): LiveFacts {
  return gatherFacts(utmpPath, addon).facts;
}

/**
 * Which source answers for the live database, with the session directory's
 * state seen while deciding (one stat less for the reader). @internal
 */
export function liveDecision(utmpPath: string, addon: NativeAddon | null = tryNative()): { source: 'utmp' | 'logind'; dir: DirectoryState | null } {
  const { facts, dir } = gatherFacts(utmpPath, addon);
  return { source: chooseLiveSource(facts), dir };
}

function toSessions(snap: NativeLogindSnapshot | null): LogindSession[] {
  if (!snap) throw sdLoginUnavailable();
  let names: Map<number, string> | null = null; // /etc/passwd looked at once a call, and only when needed
  const nameOf = (uid: number) => (names ??= passwd.current()).get(uid);
  return snap.sessions.map((raw) => toLogindSession(raw, nameOf));
}

/**
 * sd-login reads a session's file once per field asked (~15 µs a field, some
 * 13 ms for 50 sessions), so polled calls get the last snapshot again while
 * logind's session directory is unchanged: logind replaces a session file by
 * a rename, which changes the directory. A snapshot is kept only when the
 * directory last changed well before the read began (the kernel's timestamps
 * are as coarse as a clock tick: a change in the tick of the read could leave
 * the time as it was), and not while who's pty guess for a session (a pty
 * made within 5 s of its start) could still change. Mapped afresh each call:
 * callers never share objects.
 */
const RACY_MS = 1000;
const PTY_GUESS_MS = 10_000;
let kept: { key: string; snap: NativeLogindSnapshot; addon: NativeAddon; users?: { users: LogindEntry[]; pids: Int32Array } } | null = null;

/** What a stat of logind's session directory says. @internal */
export interface DirectoryState {
  key: string;
  mtimeMs: number;
  isDirectory: boolean;
}

function directoryState(): DirectoryState | null {
  const st = fs.statSync(LOGIND_SESSIONS_DIR, { throwIfNoEntry: false });
  return st ? { key: `${st.dev}:${st.ino}:${st.mtimeMs}:${st.ctimeMs}`, mtimeMs: st.mtimeMs, isDirectory: st.isDirectory() } : null;
}

function keepable(snap: NativeLogindSnapshot, dirMtimeMs: number, readAt: number): boolean {
  if (readAt - dirMtimeMs < RACY_MS) return false;
  return !snap.sessions.some((s) => s.tty === undefined && s.type === 'tty' && readAt - (s.startUsec ?? 0) / 1000 < PTY_GUESS_MS);
}

async function snapshot(addon: NativeAddon | null, read: (a: NativeAddon) => NativeLogindSnapshot | null | Promise<NativeLogindSnapshot | null>,
  dir = directoryState()): Promise<NativeLogindSnapshot | null> {
  if (dir && kept && kept.addon === addon && kept.key === dir.key) return kept.snap;
  const readAt = Date.now();
  const snap = addon ? await read(addon) : null;
  kept = snap && addon && dir && keepable(snap, dir.mtimeMs, readAt) ? { key: dir.key, snap, addon } : null;
  return snap;
}

function snapshotSync(addon: NativeAddon | null, dir = directoryState()): NativeLogindSnapshot | null {
  if (dir && kept && kept.addon === addon && kept.key === dir.key) return kept.snap;
  const readAt = Date.now();
  const snap = addon?.readLogind ? addon.readLogind() : null;
  kept = snap && addon && dir && keepable(snap, dir.mtimeMs, readAt) ? { key: dir.key, snap, addon } : null;
  return snap;
}

/**
 * Every session systemd-logind has now, with every field sd-login gives (for
 * agents: class, type, state, seat, service, remote user, flags, start time in
 * microseconds). Throws `ENOSYS` where sd-login cannot be loaded.
 *
 * @example
 * for (const s of logindSessions()) console.log(s.id, s.user, s.class, s.remoteHost, s.startTime);
 */
export function logindSessions(addon: NativeAddon | null = tryNative()): LogindSession[] {
  return toSessions(snapshotSync(addon));
}

/** `logindSessions()`, read off the main thread. */
export async function logindSessionsAsync(addon: NativeAddon | null = tryNative()): Promise<LogindSession[]> {
  return toSessions(await snapshot(addon, (a) => (a.readLogindAsync ? a.readLogindAsync() : null)));
}

/**
 * The users `who` lists: the USER_PROCESS entries of every session, without
 * those whose user nobody can name (coreutils' IS_USER_PROCESS) and, with
 * `dropStale`, without those whose leader has ended (who's kill(pid, 0)).
 * Entries of an unchanged snapshot are kept and handed out as copies.
 */
export function logindUsers(dropStale: boolean, addon: NativeAddon | null = tryNative(), dir?: DirectoryState | null, warnings: WarningOptions = {}): UtmpEntry[] {
  return usersOf(snapshotSync(addon, dir ?? directoryState()), dropStale, addon, warnings);
}

/** `logindUsers()`, read off the main thread. */
export async function logindUsersAsync(dropStale: boolean, addon: NativeAddon | null = tryNative(), dir?: DirectoryState | null,
  warnings: WarningOptions = {}): Promise<UtmpEntry[]> {
  return usersOf(await snapshot(addon, (a) => (a.readLogindAsync ? a.readLogindAsync() : null), dir ?? directoryState()), dropStale, addon, warnings);
}

function usersOf(snap: NativeLogindSnapshot | null, dropStale: boolean, addon: NativeAddon | null, warnings: WarningOptions): UtmpEntry[] {
  let listed: LogindEntry[];
  let pids: Int32Array;
  if (kept && kept.snap === snap && kept.users) {
    ({ users: listed, pids } = kept.users);
  } else {
    listed = entriesOf(toSessions(snap)).filter((u) => u.ut_user_process && u.ut_user !== '');
    pids = Int32Array.from(listed, (u) => u.ut_pid);
    if (kept && kept.snap === snap) kept.users = { users: listed, pids };
  }
  const alive = dropStale ? leadersAlive(pids, addon) : null;
  const out: UtmpEntry[] = [];
  for (let i = 0; i < listed.length; i++) if (!alive || alive[i]) out.push(listed[i].copy());
  reportTimes(out, new WarningSink(warnings));
  return out;
}

/** Every utmp entry of `sessions`, in order, as `who` sees them. */
export function entriesOf(sessions: LogindSession[]): LogindEntry[] {
  return sessions.flatMap(logindEntries);
}

/** The kernel's boot time (`btime` of /proc/stat, whole seconds), or null where it cannot be read. */
export function kernelBootSeconds(procStat?: string): number | null {
  let text = procStat;
  if (text === undefined) {
    try {
      text = fs.readFileSync('/proc/stat', 'latin1');
    } catch {
      return null;
    }
  }
  const m = /^btime\s+(\d+)\s*$/m.exec(text);
  return m ? Number(m[1]) : null;
}

/** `kernelBootSeconds()`, read off the main thread. */
export async function kernelBootSecondsAsync(): Promise<number | null> {
  try {
    return kernelBootSeconds(await fs.promises.readFile('/proc/stat', 'latin1'));
  } catch {
    return null;
  }
}

/** The entries `new UtmpFile()` gives on a logind system: the boot, then each session's. @internal */
export function liveEntries(sessions: LogindSession[], bootSeconds: number | null): UtmpEntry[] {
  const out: UtmpEntry[] = bootSeconds === null ? [] : [bootEntry(bootSeconds)];
  for (const e of entriesOf(sessions)) out.push(e);
  return out;
}

/** `UtmpFile`'s cursor over logind: one snapshot (boot, then sessions). @internal */
export function logindCursor(sink: WarningSink = new WarningSink()): SnapshotCursor {
  const checked = (entries: UtmpEntry[]) => {
    reportTimes(entries, sink);
    return entries;
  };
  return new SnapshotCursor(
    () => checked(liveEntries(logindSessions(), kernelBootSeconds())),
    async () => {
      const [sessions, boot] = await Promise.all([logindSessionsAsync(), kernelBootSecondsAsync()]);
      return checked(liveEntries(sessions, boot));
    },
  );
}
