import type { NativeAddon } from './native';

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

// A gap between two calls within which the kernel cannot have handed out every
// pid once: pid_max is at least 32,768, and that many forks take longer than this.
const MAX_GAP_MS = 1000;
const MAX_GONE = 4096;

/**
 * Leaders found gone, remembered while the kernel has handed out no pid that
 * could be theirs again. Linux hands out pids upward from the last one
 * (`ns_last_pid`), wrapping at pid_max, so between two readings `from` and
 * `to` only the pids in (from, to] (cyclically) can have been reused. A
 * monitor polling users() thus makes one kill() per live session, not one
 * per stale entry, each a system call. Only the gone are remembered: a live
 * process can end at any time. (A pid chosen with clone3's set_tid, as
 * checkpoint/restore does, moves no cursor; such a process takes over a gone
 * leader's pid unseen, and its session was stale anyway.)
 */
export class GoneLeaders {
  private readonly gone = new Set<number>();
  private lastPid = -1;
  private at = 0;

  /** Takes a new reading of the kernel's last pid (-1: unknown, forget all) at `now` (ms, monotonic). */
  advance(lastPid: number, now: number): void {
    const from = this.lastPid;
    if (lastPid < 0 || from < 0 || now - this.at > MAX_GAP_MS || now < this.at) {
      this.gone.clear();
    } else if (lastPid !== from) {
      const wrapped = lastPid < from;
      for (const pid of this.gone) {
        if (wrapped ? pid > from || pid <= lastPid : pid > from && pid <= lastPid) this.gone.delete(pid);
      }
    }
    this.lastPid = lastPid;
    this.at = now;
  }

  has(pid: number): boolean {
    return this.gone.has(pid);
  }

  /** Remembers `pid` as gone (found so after the last reading). */
  add(pid: number): void {
    if (this.lastPid < 0) return;
    if (this.gone.size >= MAX_GONE) this.gone.clear();
    this.gone.add(pid);
  }
}

const goneLeaders = new GoneLeaders();

/**
 * Whether each of `pids` still runs (1) or is gone (0), as who's `kill(pid, 0)`
 * tells, asking only of those not known gone (GoneLeaders).
 */
export function leadersAlive(pids: Int32Array, addon: NativeAddon | null, gone: GoneLeaders = goneLeaders): Uint8Array {
  if (pids.length === 0) return new Uint8Array(0); // nobody logged in: no cursor to read
  // Read before the kills: a pid found gone after this reading was gone at it.
  gone.advance(addon?.lastPid ? addon.lastPid() : -1, performance.now());
  const alive = new Uint8Array(pids.length);
  const unknown: number[] = [];
  for (let i = 0; i < pids.length; i++) if (!gone.has(pids[i])) unknown.push(i);
  const asked = Int32Array.from(unknown, (i) => pids[i]);
  const answers = addon?.leadersAlive ? addon.leadersAlive(asked) : asked.map((p) => (killSaysAlive(p) ? 1 : 0));
  unknown.forEach((i, k) => {
    alive[i] = answers[k];
    if (answers[k] === 0) gone.add(pids[i]);
  });
  return alive;
}
