/**
 * Deterministic histories, written into the root by libwtmpdb and liblastlog2
 * themselves (writers.py): a boot and its shutdown, a closed login, sessions
 * ended by a crash, a container's soft-reboot, long names, times after 2038
 * and after 2106 (past any 32-bit unsigned time), IPv6, microseconds.
 */
const H = 3_600_000_000; // an hour in microseconds
const T0 = Date.UTC(2024, 0, 15, 9) * 1000; // 2024-01-15 09:00 UTC, in microseconds

export interface LoginOp { op: 'login'; type?: number; user: string; usec: number; tty?: string; rhost?: string; service?: string; name: string }
export interface LogoutOp { op: 'logout'; name: string; usec: number }

export const HISTORY: (LoginOp | LogoutOp)[] = [
  { op: 'login', type: 1, user: 'reboot', usec: T0, tty: '~', rhost: '6.12.0-test', name: 'boot1' },
  { op: 'login', user: 'alice', usec: T0 + H + 123_456, tty: 'pts/0', rhost: '10.0.0.5', service: 'sshd', name: 'alice' },
  { op: 'logout', name: 'alice', usec: T0 + 2 * H + 654_321 },
  { op: 'login', user: 'bob', usec: T0 + 3 * H, tty: 'tty1', service: 'login', name: 'bob' }, // never logged out: crash
  { op: 'logout', name: 'boot1', usec: T0 + 10 * H }, // wtmpdb shutdown
  { op: 'login', type: 1, user: 'reboot', usec: T0 + 24 * H, tty: '~', rhost: '6.12.0-test', name: 'boot2' },
  { op: 'login', user: 'maximilian-longname', usec: T0 + 25 * H, tty: 'pts/1', rhost: 'a-very-long-host-name.example.internal', service: 'sshd', name: 'max' },
  { op: 'login', type: 1, user: 'soft-reboot', usec: T0 + 48 * H, tty: '~', rhost: '6.12.0-test', name: 'boot3' },
  { op: 'login', user: 'dave', usec: 2_220_000_000_000_000, tty: 'pts/2', rhost: '2001:db8::1', service: 'sshd', name: 'dave' }, // 2040
  { op: 'logout', name: 'dave', usec: 2_220_090_061_000_000 }, // a day and more later
  { op: 'login', user: 'erin', usec: 4_357_000_000_000_000, tty: 'pts/3', rhost: '192.0.2.7', service: 'sshd', name: 'erin' }, // 2108, open
];

/** The rows HISTORY must leave in the wtmp table, in ID order. */
export function expectedRows(): object[] {
  const logins = HISTORY.filter((op): op is LoginOp => op.op === 'login');
  return logins.map((l) => ({
    Type: l.type ?? 3,
    User: l.user,
    Login: l.usec,
    Logout: (HISTORY.find((op) => op.op === 'logout' && op.name === l.name) as LogoutOp | undefined)?.usec ?? null,
    TTY: l.tty ?? null,
    RemoteHost: l.rhost ?? null,
    Service: l.service ?? null,
  }));
}

export interface Lastlog2Row { user: string; time: number; tty?: string; rhost?: string; service?: string }

export const LASTLOG: Lastlog2Row[] = [
  { user: 'alice', time: 1_705_312_800, tty: 'pts/0', rhost: '10.0.0.5', service: 'sshd' },
  { user: 'bob', time: 1_705_320_000, tty: 'tty1', service: 'login' },
  { user: 'dave', time: 2_220_000_000, tty: 'pts/2', rhost: '2001:db8::1', service: 'sshd' }, // no account in the root
  { user: 'root', time: 4_357_000_000, tty: 'pts/3', rhost: '192.0.2.7', service: 'sshd' },
  { user: 'maximilian-longname', time: 1_705_395_600, tty: 'pts/1', rhost: 'a-very-long-host-name.example.internal', service: 'sshd' },
];

/** `last` argument lists compared line for line (the CLI forms of wtmpdb last). */
export const LAST_ARGS: string[][] = [
  [], ['-x'], ['-n', '3'], ['-w'], ['--time-format', 'iso'], ['-x', '--time-format', 'iso'], ['alice'], ['reboot'], ['-x', '-w', '-n', '4'],
  // -F and --time-format together (util-linux's last refuses them; wtmpdb last takes the later one for the rows)
  ['-F', '--time-format', 'iso'], ['--time-format', 'iso', '-F'], ['--time-format', 'notime', '-F'], ['-F', '--time-format', 'notime'],
  ['--time-format', 'short', '-F'],
];

/** `lastlog2` argument lists compared line for line. */
export const LASTLOG_ARGS: string[][] = [[], ['-u', 'alice'], ['-u', 'dave'], ['-u', 'root']];

/** wtmpdb's ISO time for microseconds since the epoch in UTC (`2024-01-15T10:00:00+0000`). */
export function isoTime(usec: number): string {
  return new Date(Math.floor(usec / 1000)).toISOString().slice(0, 19) + '+0000';
}
