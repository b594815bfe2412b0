/** `utmpx boot`: when the system booted and its run level, as `who -b -r`. */
import { type RunLevel, bootTime, runLevel } from '../functions';
import type { Command } from './common';
import { SOURCE_HELP, SOURCE_OPTION, noLiveDatabase, sourceOf } from './live';
import { parseCommand, toJson, whoTime } from './output';

/** The `who -b` and `who -r` lines (who names no previous level 'N' as 'S'). */
export function formatBoot(boot: Date | null, level: RunLevel | null, iso: boolean): string {
  const lines: string[] = [];
  if (boot) lines.push(`${' '.repeat(9)}${'system boot'.padEnd(12)} ${whoTime(boot, iso)}`);
  if (level) {
    const last = level.previous ? `${' '.repeat(19)}last=${level.previous === 'N' ? 'S' : level.previous}` : '';
    lines.push(`${' '.repeat(9)}${`run-level ${level.level}`.padEnd(12)} ${whoTime(level.time, iso)}${last}`);
  }
  return lines.map((l) => l + '\n').join('');
}

export const boot: Command = {
  summary: 'boot [-f FILE] [--json|--ndjson] [--iso]    boot time and run level',
  help: `Usage: utmpx boot [-f FILE] [--json | --ndjson] [--iso] [--source S]
Prints when the system booted and its run level, from utmp, as who -b -r.
Nothing is printed for what utmp does not record. Where logind answers, the
kernel's boot time and no run level.

  -f, --file FILE  read FILE instead of the system's utmp
      --json       one JSON object: { "boot": time or null, "runLevel": { "level",
                   "previous", "time" } or null }
      --ndjson     the same object on one line
      --iso        times as ISO 8601
${SOURCE_HELP}`,
  run(args, io) {
    const opts = parseCommand('boot', args, SOURCE_OPTION);
    const source = sourceOf('boot', opts);
    let time: Date | null;
    let level: RunLevel | null;
    try {
      time = bootTime({ path: opts.file, source });
      level = runLevel({ path: opts.file, source });
    } catch (e) {
      return noLiveDatabase(e, opts.file, io);
    }
    if (opts.format === 'human') io.out.write(formatBoot(time, level, opts.iso));
    else io.out.write(toJson({ boot: time, runLevel: level }) + '\n');
    return 0;
  },
};
