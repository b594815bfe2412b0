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

/** The default paths of this platform's databases. */
export function paths(): DatabasePaths {
  try {
    return { ...native().paths };
  } catch {
    // No addon for this platform: the glibc defaults.
    return { utmp: '/var/run/utmp', wtmp: '/var/log/wtmp', btmp: '/var/log/btmp', lastlog: '/var/log/lastlog' };
  }
}
