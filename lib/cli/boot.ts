/** `utmpx boot`: when the system booted and its run level, as `who -b -r`. */
import type { UtmpEntry } from '../model/entry';
import { type RunLevel, bootTime, explainMissing, liveSource, toRunLevel } from '../functions';
import { UtmpFile } from '../utmp-file';
import { type Command, safe } from './common';
import { SOURCE_HELP, SOURCE_OPTION, noLiveDatabase, sourceOf } from './live';
import { ISO_OPTION, parseCommand } from './args';
import { toJson } from './output';
import { whoTime } from './time-format';
import { WARNING_HELP, WARNING_OPTIONS, WarningReport } from './warnings';

const bootLine = (time: Date, iso: boolean) => `${' '.repeat(9)}${'system boot'.padEnd(12)} ${whoTime(time, iso)}`;

/**
 * who -r's line. who prints the level's byte as it is; here it is escaped
 * (a hostile record's ESC never reaches the terminal raw). who names no
 * previous level 'N' as 'S'.
 */
function runLevelLine(level: RunLevel, iso: boolean): string {
  const last = level.previous ? `${' '.repeat(19)}last=${level.previous === 'N' ? 'S' : level.previous}` : '';
  return `${' '.repeat(9)}${`run-level ${safe(String.fromCharCode(level.code))}`.padEnd(12)} ${whoTime(level.time, iso)}${last}`;
}

/** The `who -b` and `who -r` lines for the last boot and run level. */
export function formatBoot(boot: Date | null, level: RunLevel | null, iso: boolean): string {
  const lines: string[] = [];
  if (boot) lines.push(bootLine(boot, iso));
  if (level) lines.push(runLevelLine(level, iso));
  return lines.map((l) => l + '\n').join('');
}

export const boot: Command = {
  summary: 'boot [-f FILE] [--json|--ndjson] [--iso]    boot time and run level',
  help: `Usage: utmpx boot [-f FILE] [--json | --ndjson] [--iso] [--source S]
Prints when the system booted and its run level, from utmp, as who -b -r:
every boot and run-level record in file order (a wtmp lists each boot).
Nothing is printed for what the file does not record. Where logind answers,
the kernel's boot time and no run level.

  -f, --file FILE  read FILE instead of the system's utmp
      --json       one JSON object: { "boot": the last boot's time or null,
                   "runLevel": { "level" (null unless a run level), "code",
                   "previous", "time" } or null, "warnings", "warningCount" }
      --ndjson     the same object on one line
      --iso        times as ISO 8601
${SOURCE_HELP}${WARNING_HELP}`,
  async run(args, io) {
    const opts = parseCommand('boot', args, { ...ISO_OPTION, ...SOURCE_OPTION, ...WARNING_OPTIONS });
    const source = sourceOf('boot', opts);
    const report = new WarningReport('boot', opts.format, opts.values);
    let time: Date | null = null;
    let level: RunLevel | null = null;
    const lines: string[] = [];
    try {
      if (liveSource({ path: opts.file, source }) === 'logind') {
        time = bootTime({ source });
        if (time) lines.push(bootLine(time, opts.iso));
      } else {
        const db = new UtmpFile(opts.file, { onWarning: report.onWarning });
        try {
          for (const u of db as Iterable<UtmpEntry>) {
            if (u.ut_type === 'BOOT_TIME') {
              time = u.date;
              lines.push(bootLine(time, opts.iso));
            } else if (u.ut_type === 'RUN_LVL') {
              level = toRunLevel(u);
              lines.push(runLevelLine(level, opts.iso));
            }
          }
        } catch (e) {
          throw explainMissing(e, db, opts.file);
        } finally {
          db.close();
        }
      }
    } catch (e) {
      return noLiveDatabase(e, opts.file, io);
    }
    if (opts.format === 'human') io.out.write(lines.map((l) => l + '\n').join(''));
    else io.out.write(toJson({ boot: time, runLevel: level, ...report.members() }) + '\n');
    return report.finish(io, 0, undefined, true);
  },
};
