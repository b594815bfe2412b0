/** The platform's default database paths, as libc names them. */
import { native } from './native';

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

/**
 * Checks a reader's optional `path` argument as the addon does: undefined for
 * the platform's default, else a non-empty string without NUL bytes.
 */
export function checkPathArgument(path: unknown): void {
  if (path !== undefined && (typeof path !== 'string' || path === '' || path.includes('\0'))) {
    throw new TypeError('The "path" argument must be a non-empty string without NUL bytes');
  }
}

/** The default paths of this platform's databases. */
export function paths(): DatabasePaths {
  try {
    return { ...native().paths };
  } catch {
    // No addon for this platform: the glibc defaults.
    return { utmp: '/var/run/utmp', wtmp: '/var/log/wtmp', btmp: '/var/log/btmp', lastlog: '/var/log/lastlog' };
  }
}
