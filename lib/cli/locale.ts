/**
 * Whether LC_TIME is the C locale, as setlocale(LC_ALL, "") would leave it:
 * coreutils' who prints `Nov 22 05:20` there and `2026-11-22 05:20` in any
 * other locale (who.c asks gnulib's hard_locale(LC_TIME)). A locale that is
 * named but not installed leaves C, as setlocale fails for it.
 */
import * as fs from 'fs';
import * as path from 'path';

let cached: boolean | undefined;

/** LC_TIME's locale is C or POSIX (memoized: the environment of a CLI run does not change). */
export function cTimeLocale(env: NodeJS.ProcessEnv = process.env): boolean {
  if (env === process.env && cached !== undefined) return cached;
  // POSIX's order: LC_ALL, then the category, then LANG; an empty one counts as unset.
  const name = env.LC_ALL || env.LC_TIME || env.LANG || 'C';
  const isC = name === 'C' || name === 'POSIX' || !localeInstalled(name, env.LOCPATH);
  if (env === process.env) cached = isC;
  return isC;
}

/** Whether glibc's setlocale finds `name`: built in, a directory of /usr/lib/locale (or LOCPATH), or in locale-archive. */
function localeInstalled(name: string, locpath: string | undefined): boolean {
  if (name.includes('/') || name === '.' || name === '..') return false; // glibc takes no path for "" names
  if (/^C\.utf-?8$/i.test(name)) return true; // glibc 2.35 and later have C.UTF-8 built in
  // glibc also tries the codeset normalized: lowercase, only letters and digits (UTF-8 is utf8).
  const m = /^([^.@]*)(?:\.([^@]*))?(@.*)?$/.exec(name);
  const normalized = m && m[2] !== undefined ? `${m[1]}.${m[2].toLowerCase().replace(/[^a-z0-9]/g, '')}${m[3] ?? ''}` : name;
  const names = normalized === name ? [name] : [name, normalized];
  for (const dir of [...(locpath ? locpath.split(':') : []), '/usr/lib/locale']) {
    if (names.some((n) => fs.existsSync(path.join(dir, n, 'LC_TIME')))) return true;
  }
  return inArchive('/usr/lib/locale/locale-archive', names);
}

/** Whether one of `names` is in a glibc locale-archive's string table (its header: uint32 fields, host order). */
function inArchive(file: string, names: string[]): boolean {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch {
    return false;
  }
  try {
    const head = Buffer.alloc(32);
    if (fs.readSync(fd, head, 0, 32, 0) < 32 || head.readUInt32LE(0) !== 0xde020109) return false;
    const offset = head.readUInt32LE(20);
    const used = Math.min(head.readUInt32LE(24), 1 << 20); // the names of every locale: some KB
    const strings = Buffer.alloc(used);
    const got = fs.readSync(fd, strings, 0, used, offset);
    const table = strings.subarray(0, got).toString('latin1').split('\0');
    return names.some((n) => table.includes(n));
  } catch {
    return false;
  } finally {
    fs.closeSync(fd);
  }
}
