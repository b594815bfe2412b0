/** What the watch tests share: records written by `utmpdump -r`, appended by independent writers, and taking events with a deadline. */
import { execFileSync } from 'child_process';
import type { WatchEvent, WatchGap, WatchItem, WatchWarning } from '../../lib';
import { type DumpRecord, dumpLine, dumpTime, utmpdumpReverse } from './utmpdump';

/** A login (USER_PROCESS) numbered `i`: its pid is 10000 + i, so order can be checked. */
export function loginRecord(i: number, base = Date.UTC(2024, 0, 15, 9, 0, 0)): DumpRecord {
  return {
    type: 7, pid: 10000 + i, id: `${i % 1000}`, user: `user${i}`, line: `pts/${i}`, host: `10.0.${(i >> 8) & 255}.${i & 255}`,
    addr: `10.0.${(i >> 8) & 255}.${i & 255}`, time: dumpTime(base + i * 1000, i % 1_000_000),
  };
}

/** The logout (DEAD_PROCESS) of login `i`, as sshd writes it to wtmp: no user, no id. */
export function logoutRecord(i: number, base = Date.UTC(2024, 0, 15, 10, 0, 0)): DumpRecord {
  return { type: 8, pid: 10000 + i, id: '', user: '', line: `pts/${i}`, host: '', addr: '0.0.0.0', time: dumpTime(base + i * 1000) };
}

/** The binary records `utmpdump -r` makes of `records`. */
export function binary(records: DumpRecord[]): Buffer {
  return utmpdumpReverse(records.map(dumpLine).join('\n') + '\n');
}

/** Appends `records` to `file` as a shell redirection does (`utmpdump -r >> file`): `cat >> file`, utmpdump's bytes on stdin. */
export function appendWithUtmpdump(file: string, records: DumpRecord[]): void {
  execFileSync('sh', ['-c', 'cat >> "$1"', 'sh', file], { input: binary(records), stdio: ['pipe', 'ignore', 'ignore'] });
}

/** Reads a watch with deadlines; a next() still waiting when a deadline passes is kept for the next call, so nothing is lost. */
export class EventReader {
  readonly warnings: WatchWarning[] = [];
  /** Gaps (records that could not be read), kept apart from events. */
  readonly gaps: WatchGap[] = [];
  private pending: Promise<IteratorResult<WatchItem>> | null = null;
  constructor(private readonly it: AsyncIterator<WatchItem>) {}

  private async next(deadline: number): Promise<IteratorResult<WatchItem> | 'timeout'> {
    this.pending ??= this.it.next();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => { timer = setTimeout(() => resolve('timeout'), Math.max(0, deadline - Date.now())); });
    const r = await Promise.race([this.pending, timeout]);
    clearTimeout(timer);
    if (r !== 'timeout') this.pending = null;
    return r;
  }

  /** The next `n` events (warnings kept in `warnings`), failing after `ms`. */
  async events(n: number, ms = 10_000): Promise<WatchEvent[]> {
    const events: WatchEvent[] = [];
    const deadline = Date.now() + ms;
    while (events.length < n) {
      const r = await this.next(deadline);
      if (r === 'timeout') throw new Error(`only ${events.length} of ${n} events within ${ms} ms (warnings: ${this.warnings.map((w) => `${w.code} ${w.message}`).join('; ')})`);
      if (r.done) throw new Error(`the watch ended after ${events.length} of ${n} events`);
      if (r.value.type === 'warning') this.warnings.push(r.value);
      else if (r.value.type === 'gap') this.gaps.push(r.value);
      else events.push(r.value);
    }
    return events;
  }

  /** Every item that arrives within `ms` (to show that nothing more comes). */
  async within(ms: number): Promise<WatchItem[]> {
    const items: WatchItem[] = [];
    const deadline = Date.now() + ms;
    for (;;) {
      const r = await this.next(deadline);
      if (r === 'timeout' || r.done) return items;
      items.push(r.value);
      if (r.value.type === 'warning') this.warnings.push(r.value);
      if (r.value.type === 'gap') this.gaps.push(r.value);
    }
  }

  /** Waits for a warning with this code, failing after `ms`; events meanwhile are returned. */
  async warning(code: string, ms = 10_000): Promise<WatchEvent[]> {
    const events: WatchEvent[] = [];
    const deadline = Date.now() + ms;
    for (;;) {
      if (this.warnings.some((w) => w.code === code)) return events;
      const r = await this.next(deadline);
      if (r === 'timeout' || r.done) throw new Error(`no ${code} warning within ${ms} ms (warnings: ${this.warnings.map((w) => w.code).join(', ')})`);
      if (r.value.type === 'warning') this.warnings.push(r.value);
      else if (r.value.type === 'gap') this.gaps.push(r.value);
      else events.push(r.value);
    }
  }
}

export const pidsOf = (events: WatchEvent[]) => events.map((e) => e.pid);
export const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);
