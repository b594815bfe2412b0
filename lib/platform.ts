/**
 * What differs from one platform to another, in one module: how each numbers
 * record types, where each keeps its databases, the record layout of this
 * machine's own files, and which reader `auto` picks. The readers ask here
 * instead of deciding for themselves; the C side's counterpart is
 * src-native/platform.h.
 *
 * (Which history or last-login database answers, wtmp or wtmpdb, lastlog or
 * lastlog2, is decided by looking at the files: `historySource` in
 * sessions.ts and `lastlogSource` in lastlog.ts, with the paths below.)
 */
import * as os from 'os';
import type { LayoutName } from './layouts';
import { type NativePlatform, native, tryNative } from './native';

// ---------------------------------------------------------------- record types

/** Portable name of a record's type. `UNKNOWN` for a number the platform does not define. */
export type UtmpType =
  | 'EMPTY'
  | 'RUN_LVL'
  | 'BOOT_TIME'
  | 'NEW_TIME'
  | 'OLD_TIME'
  | 'INIT_PROCESS'
  | 'LOGIN_PROCESS'
  | 'USER_PROCESS'
  | 'DEAD_PROCESS'
  | 'ACCOUNTING'
  | 'SIGNATURE'
  | 'SHUTDOWN_TIME'
  | 'UNKNOWN';

/** Which numbering a record uses. */
export type TypeNumbering = 'linux' | 'darwin' | 'freebsd';

const NUMBERINGS: Record<TypeNumbering, readonly UtmpType[]> = {
  // glibc <bits/utmp.h>
  linux: ['EMPTY', 'RUN_LVL', 'BOOT_TIME', 'NEW_TIME', 'OLD_TIME', 'INIT_PROCESS', 'LOGIN_PROCESS',
    'USER_PROCESS', 'DEAD_PROCESS', 'ACCOUNTING'],
  // macOS <utmpx.h>: OLD_TIME and NEW_TIME swapped against Linux, plus two more.
  darwin: ['EMPTY', 'RUN_LVL', 'BOOT_TIME', 'OLD_TIME', 'NEW_TIME', 'INIT_PROCESS', 'LOGIN_PROCESS',
    'USER_PROCESS', 'DEAD_PROCESS', 'ACCOUNTING', 'SIGNATURE', 'SHUTDOWN_TIME'],
  // FreeBSD <utmpx.h>
  freebsd: ['EMPTY', 'BOOT_TIME', 'OLD_TIME', 'NEW_TIME', 'USER_PROCESS', 'INIT_PROCESS',
    'LOGIN_PROCESS', 'DEAD_PROCESS', 'SHUTDOWN_TIME'],
};

/** The portable name of type number `code`; never throws. */
export function typeName(code: number, numbering: TypeNumbering): UtmpType {
  return NUMBERINGS[numbering][code] ?? 'UNKNOWN';
}

/** The number `name` has in `numbering`, or undefined where it has none. */
export function typeCode(name: UtmpType, numbering: TypeNumbering): number | undefined {
  const i = NUMBERINGS[numbering].indexOf(name);
  return i < 0 ? undefined : i;
}

const NUMBERING_OF: Record<NativePlatform, TypeNumbering> = { glibc: 'linux', musl: 'linux', darwin: 'darwin', freebsd: 'freebsd', other: 'linux' };

/** The numbering of the records libc gives on `platform`. */
export function numberingOf(platform: NativePlatform): TypeNumbering {
  return NUMBERING_OF[platform];
}

// ---------------------------------------------------------------- default paths

export interface DatabasePaths {
  /** Who is logged in now (`/var/run/utmp` on glibc). */
  utmp: string;
  /** Login history (`/var/log/wtmp`). */
  wtmp: string;
  /** Failed logins (`/var/log/btmp`); empty where the platform has none. */
  btmp: string;
  /** Last login per user (`/var/log/lastlog`). */
  lastlog: string;
}

/** The default paths of this platform's databases, as libc names them. */
export function paths(): DatabasePaths {
  try {
    return { ...native().paths };
  } catch {
    // No addon for this platform: the glibc defaults.
    return { utmp: '/var/run/utmp', wtmp: '/var/log/wtmp', btmp: '/var/log/btmp', lastlog: '/var/log/lastlog' };
  }
}

/** The system's default utmp path (the live database); needs the addon. */
export function defaultUtmpPath(): string {
  return native().paths.utmp;
}

/** The live utmp's path for the decoder, which needs no addon: a missing binary only takes libc away. */
export function utmpPathWithoutAddon(): string {
  return tryNative()?.paths.utmp ?? (process.platform === 'darwin' ? '/var/run/utmpx' : '/var/run/utmp');
}

/** Where wtmpdb keeps its database (on Debian a symlink to /var/log/wtmp.db). */
export const WTMPDB_PATH = '/var/lib/wtmpdb/wtmp.db';

/** Where lastlog2 keeps its database. */
export const LASTLOG2_PATH = '/var/lib/lastlog/lastlog2.db';

/** Where logind keeps its sessions. */
export const LOGIND_SESSIONS_DIR = '/run/systemd/sessions';

/** The directory that exists only while systemd is PID 1 (sd_booted's test). */
export const SYSTEMD_BOOTED_DIR = '/run/systemd/system';

// ---------------------------------------------------------------- this machine's record layout

/** CPUs whose glibc keeps 64-bit times in its records (the 400-byte layouts). */
const WIDE_TIME_ARCHS = ['arm64', 'loong64', 's390x', 'ppc64', 'riscv64', 'mips64'];

/** The layout of this machine's own record files: glibc's, by CPU and byte order; null off Linux. */
export function hostLayoutName(): LayoutName | null {
  if (process.platform !== 'linux') return null;
  const littleEndian = os.endianness() === 'LE';
  return WIDE_TIME_ARCHS.includes(process.arch) ? (littleEndian ? 'glibc-400-le' : 'glibc-400-be') : littleEndian ? 'glibc-384-le' : 'glibc-384-be';
}

// ---------------------------------------------------------------- which reader `auto` picks

/** The reader a `UtmpFile` uses (its `source`), not the database that answered (that is a `DataSource`). */
export type UtmpSource = 'libc' | 'decoder' | 'logind';

/**
 * Which reader `auto` picks for a utmp, wtmp or btmp `path` (undefined: the
 * live database) on `platform`: libc for the live database on glibc and
 * macOS, and for every file on FreeBSD, whose files have no fixed record
 * layout; the decoder for every other file, for a forced layout, and for
 * everything where libc's utmpx functions are stubs (musl).
 */
export function chooseSource(
  path: string | undefined,
  platform: NativePlatform,
  libcStubs: boolean,
  layout: LayoutName | 'auto' = 'auto',
): UtmpSource {
  // musl's utmpx functions find nothing: never trust an empty answer from them.
  if (layout !== 'auto' || libcStubs || platform === 'musl' || platform === 'other') return 'decoder';
  if (platform === 'freebsd') return 'libc';
  return path === undefined ? 'libc' : 'decoder';
}

/**
 * Whether the live utmp is a plain array of records that the decoder reads
 * as libc would (glibc): the one-call functions then read it with the decoder.
 */
export function liveUtmpIsPlainFile(): boolean {
  return tryNative()?.platform === 'glibc'; // no addon: UtmpFile falls back to the decoder by itself
}

/** The facts `chooseLiveSource` decides on. */
export interface LiveFacts {
  /** A utmp file exists at the system's path. */
  utmpExists: boolean;
  /** The library providing sd-login, or null where none loads. */
  logindLibrary: string | null;
  /** logind's session directory exists. */
  sessionsDir: boolean;
  /** systemd is PID 1 (`/run/systemd/system` exists). */
  systemdBooted: boolean;
  /** The session directory lists at least one session. */
  sessionsListed: boolean;
}

/**
 * Who answers for the live database: logind only where there is no utmp file,
 * sd-login loads, and logind keeps its session directory on a system booted
 * with systemd or with sessions listed in it (elogind; see modern/logind.ts).
 */
export function chooseLiveSource(f: LiveFacts): 'utmp' | 'logind' {
  if (f.utmpExists || f.logindLibrary === null || !f.sessionsDir) return 'utmp';
  return f.systemdBooted || f.sessionsListed ? 'logind' : 'utmp';
}
