/**
 * Record types: each platform numbers them differently; entries carry a
 * portable name instead of the bare number.
 */

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
