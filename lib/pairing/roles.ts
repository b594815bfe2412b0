/** What `last` takes each record for: the one reading of a record both pairings share. */
import type { UtmpEntry } from '../model/entry';

// What `last` takes a record for, after its fix-ups for old programs.
export const enum Role { Ignored, Login, Logout, Boot, Shutdown, RunLevel, OldTime, NewTime }

// `user`: e's user, or (see BackwardSessionReader.userHostFromBytes) as much of it as this reads.
export function roleOf(e: UtmpEntry, user = e.ut_user): Role {
  const line = e.line;
  let type = e.ut_type;
  if (line.charCodeAt(0) === 0x7e /* ~ */) {
    if (user.startsWith('shutdown')) return Role.Shutdown;
    if (user.startsWith('reboot')) return Role.Boot;
    if (user.startsWith('runlevel')) return Role.RunLevel;
  } else {
    // Programs that do not fill in ut_type: a user and a line make a login,
    // no user makes a logout.
    // (A first letter compared before startsWith: this runs for every record.)
    const first = user.charCodeAt(0);
    if (type !== 'DEAD_PROCESS' && user !== '' && line !== '' && !(first === 0x4c /* L */ && user.startsWith('LOGIN'))) type = 'USER_PROCESS';
    if (user === '') type = 'DEAD_PROCESS';
    if (first === 0x64 /* d */ && user.startsWith('date')) {
      if (line.charCodeAt(0) === 0x7c /* | */) return Role.OldTime;
      if (line.charCodeAt(0) === 0x7b /* { */) return Role.NewTime;
    }
  }
  switch (type) {
    case 'USER_PROCESS': return Role.Login;
    case 'DEAD_PROCESS': return Role.Logout;
    case 'BOOT_TIME': return Role.Boot;
    case 'SHUTDOWN_TIME': return Role.Shutdown;
    case 'RUN_LVL': return Role.RunLevel;
    case 'OLD_TIME': return Role.OldTime;
    case 'NEW_TIME': return Role.NewTime;
    default: return Role.Ignored;
  }
}

export const seconds = (d: Date) => Math.floor(d.getTime() / 1000);
