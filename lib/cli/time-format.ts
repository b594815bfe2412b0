/** Time formats that who(1), last(1) and utmpdump users know. */
import { MAX_DATE_MS } from '../model/entry';
import { localFields } from './local-time';
import { cTimeLocale } from './locale';

/** Two digits, as strftime's %H, %M, %S, %d, %m print them. */
export const p2 = (n: number) => (n >= 0 && n < 100 ? TWO_DIGITS[n] : String(n).padStart(2, '0'));
const TWO_DIGITS = Array.from({ length: 100 }, (_, i) => String(i).padStart(2, '0'));
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
// %e: the day of the month padded with a space.
const DAY_OF_MONTH = Array.from({ length: 32 }, (_, i) => String(i).padStart(2));
export const DAY_BYTES = Buffer.from(DAYS.join(''), 'latin1');
export const MONTH_BYTES = Buffer.from(MONTHS.join(''), 'latin1');

/** An entry's `date` as milliseconds, without making the Date (Entry#date's rounding and range). */
export function entryMs(utTime: number): number {
  const ms = Math.floor(Math.round(utTime * 1e6) / 1000);
  return ms > MAX_DATE_MS ? MAX_DATE_MS : ms < -MAX_DATE_MS ? -MAX_DATE_MS : ms;
}

// Each takes a Date or its milliseconds (the CLI's loops format numbers: no Date per time).
type Time = Date | number;
export const msOf = (t: Time) => (typeof t === 'number' ? t : t.getTime());

/** The local offset from UTC: `+0100` (strftime %z), or `+01:00` with `separator` ':'. */
export function utcOffset(d: Time, separator = ''): string {
  return offsetText(localFields(msOf(d)).offsetMinutes, separator);
}

// The last offset turned into text, per separator.
let offsetMinutesDone = NaN;
let offsetSeparatorDone = '';
let offsetTextDone = '';
export function offsetText(off: number, separator: string): string {
  if (off === offsetMinutesDone && separator === offsetSeparatorDone) return offsetTextDone;
  const a = Math.abs(off);
  offsetMinutesDone = off;
  offsetSeparatorDone = separator;
  offsetTextDone = `${off < 0 ? '-' : '+'}${p2(Math.floor(a / 60))}${separator}${p2(a % 60)}`;
  return offsetTextDone;
}

/** ISO 8601 in local time with the offset, as `last --time-format iso` prints it. */
export function isoLocal(d: Time): string {
  const f = localFields(msOf(d));
  return `${f.year}-${p2(f.month)}-${p2(f.day)}T${p2(f.hours)}:${p2(f.minutes)}:${p2(f.seconds)}` + offsetText(f.offsetMinutes, ':');
}

/** `YYYY-MM-DD HH:MM` in local time, as who(1) prints it; `Nov 22 05:20` (`%b %e %H:%M`) where LC_TIME is C, as who prints it there. */
export function localMinutes(d: Time): string {
  const f = localFields(msOf(d));
  if (cTimeLocale()) return `${MONTHS[f.month - 1]} ${DAY_OF_MONTH[f.day]} ${p2(f.hours)}:${p2(f.minutes)}`;
  return `${f.year}-${p2(f.month)}-${p2(f.day)} ${p2(f.hours)}:${p2(f.minutes)}`;
}

/** `Mon Jan 15 09:30`, last(1)'s login column (strftime `%a %b %e %H:%M`). */
export function lastStamp(d: Time): string {
  const ms = msOf(d);
  const minute = Math.floor(ms / 60_000);
  // Rows come in time order: the minute before is often the same one.
  if (minute === stampMinute) return stampText;
  const f = localFields(ms);
  stampText = `${DAYS[f.weekday]} ${MONTHS[f.month - 1]} ${DAY_OF_MONTH[f.day]} ${p2(f.hours)}:${p2(f.minutes)}`;
  stampMinute = f.offsetMs % 60_000 === 0 ? minute : NaN; // local minutes are UTC minutes only for whole-minute offsets
  return stampText;
}
let stampMinute = NaN;
let stampText = '';

/** `Mon Jan 15 09:30:00 2024`, as ctime(3) prints it (last's "begins" line). */
export function ctimeStamp(d: Time): string {
  const f = localFields(msOf(d));
  return `${DAYS[f.weekday]} ${MONTHS[f.month - 1]} ${DAY_OF_MONTH[f.day]} ${p2(f.hours)}:${p2(f.minutes)}:${p2(f.seconds)} ${f.year}`;
}

/** `HH:MM` in local time. */
export function clock(d: Time): string {
  const ms = msOf(d);
  const minute = Math.floor(ms / 60_000);
  if (minute === clockMinute) return clockText;
  const f = localFields(ms);
  clockText = `${p2(f.hours)}:${p2(f.minutes)}`;
  clockMinute = f.offsetMs % 60_000 === 0 ? minute : NaN;
  return clockText;
}
let clockMinute = NaN;
let clockText = '';

/** who(1)'s time column, or ISO 8601 with --iso. */
export function whoTime(d: Time, iso: boolean): string {
  return iso ? isoLocal(d) : localMinutes(d);
}
