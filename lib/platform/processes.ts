/**
 * Whether process `pid` exists, as `kill(pid, 0)` tells (who's test): `EPERM`
 * (someone else's process) counts as alive. Pids of 0 or below name no single
 * process and count as alive, so an entry is never dropped on a pid it cannot check.
 */
export function killSaysAlive(pid: number): boolean {
  if (!(pid > 0)) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}
