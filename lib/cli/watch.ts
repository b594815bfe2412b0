/**
 * `utmpx watch`: events as they are recorded (logins, logouts, boots,
 * shutdowns, failed logins), until interrupted. Human lines, JSON, NDJSON,
 * or NDJSON shaped as Elastic Common Schema events for log shippers.
 */
import * as fs from 'fs';
import * as os from 'os';
import { parseArgs } from 'util';
import { paths } from '../platform/platform';
import { type WatchEvent, type WatchGap, type WatchItem, type WatchWarning } from '../watch/events';
import { MAX_POSITION_BYTES, parsePosition, type WatchPosition } from '../watch/position';
import { stateFileError } from '../model/errors';
import { type WatchFileKind, type WatchOptions, type WatchSourceName, defaultSources, watch as startWatch } from '../watch/watch';
import { ecsFields } from '../watch/ecs';
import { ecsLine } from './watch-ecs';

const SOURCE_NAMES: WatchSourceName[] = ['wtmp', 'wtmpdb', 'btmp', 'utmp', 'logind'];
import { type Command, UsageError, column, safe } from './common';
import { parseTime } from './history';
import { type OptionSpec, checkTokens, withAttachedValues } from './args';
import { LineWriter, toJson } from './output';
import { isoLocal } from './time-format';

/** An event's fields for --json/--ndjson: everything but the raw entry. */
export function eventJson(e: WatchEvent): Record<string, unknown> {
  const { entry: _entry, ...rest } = e;
  return rest;
}

function humanLine(e: WatchEvent, iso: boolean): string {
  // Without the offset (+HH:MM) rather than cut at 19 characters: a year may have more than four digits.
  const t = iso ? isoLocal(e.time) : isoLocal(e.time).slice(0, -6).replace('T', ' ');
  const from = e.host ? ` ${safe(e.host)}` : '';
  const pid = e.pid ? ` pid ${e.pid}` : '';
  return `${t} ${e.type.padEnd(8)} ${column(e.user || '-', 8)} ${column(e.line, 12)}${from}${pid} (${e.source})`;
}

export function warningLine(w: WatchWarning): string {
  // An error's message begins with its code already (`EACCES: permission denied, ...`): say it once.
  const code = w.message.startsWith(`${w.code}:`) ? '' : `${safe(w.code)}: `;
  return `utmpx: watch: ${code}${safe(w.message)}\n`;
}

function gapLine(g: WatchGap): string {
  return `utmpx: watch: gap: ${safe(g.path)}: at least ${g.bytes} bytes not read: ${safe(g.message)}\n`;
}

/** The text of a --state file (null: there is none yet); one larger than any position is refused before it is read. */
function readStateFile(file: string): string | null {
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) throw stateFileError('ERR_UTMPX_BAD_STATE', safe(file), 'it is no regular file');
    if (st.size > MAX_POSITION_BYTES) {
      throw stateFileError('ERR_UTMPX_BAD_STATE', safe(file), `it is ${st.size} bytes, and a watch position is at most ${MAX_POSITION_BYTES}`);
    }
    const buf = Buffer.alloc(MAX_POSITION_BYTES + 1);
    const n = fs.readSync(fd, buf, 0, buf.length, 0);
    if (n > MAX_POSITION_BYTES) throw stateFileError('ERR_UTMPX_BAD_STATE', safe(file), `it grew past ${MAX_POSITION_BYTES} bytes`);
    return buf.toString('utf8', 0, n);
  } finally {
    fs.closeSync(fd);
  }
}

/** Writes the position to `file` atomically (a new file renamed over the old). */
function storePosition(file: string, position: WatchPosition): void {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(position) + '\n');
  fs.renameSync(tmp, file);
}

const WATCH_OPTIONS = {
  file: { type: 'string', short: 'f', multiple: true },
  utmp: { type: 'boolean' },
  source: { type: 'string' },
  since: { type: 'string', short: 's' },
  state: { type: 'string' },
  json: { type: 'boolean' },
  ndjson: { type: 'boolean' },
  format: { type: 'string' },
  iso: { type: 'boolean' },
} satisfies OptionSpec;

export const watch: Command = {
  summary: 'watch [-f FILE]... [--since TIME] [--ndjson]   events as they happen (logins, logouts, failed logins)',
  help: `Usage: utmpx watch [options]
Prints login, logout, boot, shutdown and failed-login events as they are
recorded, until interrupted (Ctrl-C, SIGTERM). Watches the system's history
(wtmpdb's wtmp.db where it exists, else wtmp: as last reads) and btmp (btmp
needs root) unless files are given.

  -f, --file FILE     watch FILE (repeat for more); a name with btmp is failed
                      logins, utmp the current sessions, anything else history;
                      a directory stands for its utmp, wtmp and btmp
      --source LIST   the system databases to watch, comma-separated: wtmp,
                      wtmpdb, btmp, utmp, logind (default: wtmpdb or wtmp, and btmp)
      --utmp          also watch the system's utmp (logins appear there too)
  -s, --since TIME    first replay events since TIME (as in last --since)
      --state FILE    resume after the position stored in FILE, and store the
                      position there after each event (nothing lost or repeated
                      across restarts)
      --json          one JSON array, streamed
      --ndjson        one JSON object a line
      --format FMT    human, json, ndjson, or ecs: NDJSON lines shaped as
                      Elastic Common Schema authentication events
      --iso           times as ISO 8601
Problems with a file (missing, unreadable, damaged records) are reported on
stderr and the watch goes on. Records written and no longer readable (a file
truncated in place, a rotated file compressed or removed before it was read)
are a gap: a line "utmpx: watch: gap: ..." on stderr, and with --json or
--ndjson also an object {"type":"gap","path","bytes","time","message"}.
`,
  async run(args, io) {
    // getopt's rule, as in last: `--since -2h` takes -2h as the value; mistakes worded as getopt words them.
    const parsed = parseArgs({ args: withAttachedValues(args, WATCH_OPTIONS), options: WATCH_OPTIONS, strict: false, allowPositionals: true, tokens: true });
    checkTokens('watch', parsed.tokens ?? [], WATCH_OPTIONS, false);
    const values = parsed.values as Record<string, string | boolean | string[] | undefined>;
    const chosen = [values.json && 'json', values.ndjson && 'ndjson', values.format].filter(Boolean) as string[];
    if (new Set(chosen).size > 1) throw new UsageError('watch: choose one of --json, --ndjson and --format');
    const format = chosen[0] ?? 'human';
    if (!['human', 'json', 'ndjson', 'ecs'].includes(format)) throw new UsageError(`watch: unknown format: ${format} (human, json, ndjson or ecs)`);
    const files = values.file as string[] | undefined;
    if (files?.some((f) => f === '')) throw new UsageError('watch: -f needs a file name');
    if (values.since !== undefined && values.state !== undefined && fs.existsSync(values.state as string)) {
      throw new UsageError('watch: --since and a stored --state exclude each other');
    }
    if (files && values.source !== undefined) throw new UsageError('watch: -f and --source exclude each other');
    const options: WatchOptions = {};
    if (files) options.files = values.utmp ? [...files, { path: paths().utmp, kind: 'utmp' as WatchFileKind }] : files;
    else if (values.source !== undefined || values.utmp) {
      const names = values.source === undefined ? defaultSources() : (values.source as string).split(',').filter(Boolean);
      const bad = names.find((n) => !SOURCE_NAMES.includes(n as WatchSourceName));
      if (bad !== undefined || names.length === 0) throw new UsageError(`watch: --source takes ${SOURCE_NAMES.join(', ')} (comma-separated)${bad === undefined ? '' : `; got ${safe(bad)}`}`);
      options.sources = names as WatchSourceName[];
      if (values.utmp) options.sources.push('utmp');
    }
    if (values.since !== undefined) options.since = parseTime(values.since as string);
    const stateFile = values.state as string | undefined;
    if (stateFile !== undefined) {
      const text = readStateFile(stateFile);
      if (text !== null) {
        try {
          options.position = parsePosition(text);
        } catch (e) {
          throw stateFileError('ERR_UTMPX_BAD_STATE', safe(stateFile), `it holds no watch position (${safe((e as Error).message)})`);
        }
      }
    }

    const controller = new AbortController();
    options.signal = controller.signal;
    const stop = () => controller.abort();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    const out = new LineWriter(io.out);
    const ecsOptions = { hostname: os.hostname() };
    let count = 0;
    let flushing = false;
    const w = startWatch(options);
    try {
      if (format === 'json') await out.line('[');
      for await (const item of w as AsyncIterable<WatchItem>) {
        if (item.type === 'warning') {
          io.err.write(warningLine(item));
          continue;
        }
        if (item.type === 'gap') {
          // Records missed are said on stderr, and in the JSON stream too: a consumer of either knows.
          io.err.write(gapLine(item));
          if (format === 'json' || format === 'ndjson') {
            await out.line((format === 'json' && count > 0 ? ',' : '') + toJson(item));
            count++;
            await out.flush();
          }
          if (stateFile !== undefined) storePosition(stateFile, item.position);
          continue;
        }
        let text: string;
        if (format === 'human') text = humanLine(item, Boolean(values.iso));
        else if (format === 'ecs') text = ecsLine(ecsFields(item, ecsOptions));
        else if (format === 'ndjson') text = toJson(eventJson(item));
        else text = (count === 0 ? '' : ',') + toJson(eventJson(item));
        const full = out.line(text); // a promise only when a batch went out: no await (a microtask) an event
        if (full) await full;
        count++;
        // Events come one by one: each is shown at once, not when a batch fills. A burst (events
        // already read) is written together, once the watch waits for more: a write per event
        // would cost more than the events. With --state, the position is stored after its line is out.
        if (stateFile !== undefined) {
          await out.flush();
          storePosition(stateFile, item.position);
        } else if (!flushing) {
          flushing = true;
          setImmediate(() => {
            flushing = false;
            out.flush().catch(() => undefined); // a failed write fails the next awaited one
          });
        }
      }
      if (format === 'json') await out.line(']');
      await out.flush();
      // Records that were no event (run levels, damaged ones) are passed too: a restart need not read them again.
      if (stateFile !== undefined) storePosition(stateFile, w.position);
    } finally {
      process.removeListener('SIGINT', stop);
      process.removeListener('SIGTERM', stop);
      await w.close();
    }
    return 0;
  },
};
