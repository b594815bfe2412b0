/**
 * Local time from milliseconds since the epoch, without a Date per time: the
 * CLI prints millions of times, and Date's local getters each ask the time
 * zone again. The zone's offset is taken from a Date once per hour of time
 * (checked at both ends of the hour, so a change inside it falls back to
 * Date), then the fields are plain arithmetic; the last day's date is kept.
 * The CLI's process never changes TZ while it runs (the offsets are kept).
 */

/** The fields of one local time; one object, reused by every call. */
export interface LocalFields {
  year: number;
  /** 1-12. */
  month: number;
  day: number;
  /** 0 (Sunday) - 6. */
  weekday: number;
  hours: number;
  minutes: number;
  seconds: number;
  /** Minutes east of UTC, as `-Date#getTimezoneOffset()`. */
  offsetMinutes: number;
  /** Local time minus UTC in ms (NaN where a Date was asked instead). */
  offsetMs: number;
  /** Whether that offset holds for the whole hour of the time (the hour is cached). */
  steady: boolean;
}

const HOUR_MS = 3600_000;
const DAY_MS = 86400_000;

const fields: LocalFields = { year: 1970, month: 1, day: 1, weekday: 4, hours: 0, minutes: 0, seconds: 0, offsetMinutes: 0, offsetMs: 0, steady: false };

// Hours looked up (direct-mapped: a login and its logout may fall in different
// hours, and rows alternate between them), their offset from UTC (ms, local
// minus UTC) and their offset as getTimezoneOffset gives it. NaN: no hour, or
// one whose offset changes within it (each time of it then asks a Date).
const HOUR_SLOTS = 256;
const slotHour = new Float64Array(HOUR_SLOTS).fill(NaN);
const slotOffsetMs = new Float64Array(HOUR_SLOTS);
const slotOffsetMinutes = new Float64Array(HOUR_SLOTS);
// The hour of the call before (when cached) and its offset.
let lastHour = NaN;
let lastOffsetMs = 0;
// The day (local days since the epoch) last turned into a date.
let cachedDay = NaN;
let dayYear = 1970;
let dayMonth = 1;
let dayOfMonth = 1;

/** Local minus UTC at `ms`, as Date's local getters see it (whole ms). */
function offsetAt(ms: number): number {
  const d = new Date(ms);
  const utc = new Date(0);
  utc.setUTCFullYear(d.getFullYear(), d.getMonth(), d.getDate()); // not Date.UTC: it reads years 0-99 as 1900-1999
  utc.setUTCHours(d.getHours(), d.getMinutes(), d.getSeconds(), d.getMilliseconds());
  return utc.getTime() - ms;
}

/** The local time of `ms` (a whole number a Date can hold), in the shared fields object. */
export function localFields(ms: number): LocalFields {
  const hour = Math.floor(ms / HOUR_MS);
  const slot = hour & (HOUR_SLOTS - 1);
  let offsetMs: number;
  if (hour === lastHour) {
    offsetMs = lastOffsetMs; // the hour of the call before, most often
    fields.offsetMinutes = slotOffsetMinutes[slot];
  } else if (slotHour[slot] === hour) {
    offsetMs = slotOffsetMs[slot];
    fields.offsetMinutes = slotOffsetMinutes[slot];
  } else {
    const start = hour * HOUR_MS;
    offsetMs = offsetAt(ms);
    fields.offsetMinutes = -new Date(ms).getTimezoneOffset();
    if (offsetAt(start) === offsetMs && offsetAt(start + HOUR_MS - 1) === offsetMs) {
      slotHour[slot] = hour;
      slotOffsetMs[slot] = offsetMs;
      slotOffsetMinutes[slot] = fields.offsetMinutes;
    }
  }
  if (Number.isNaN(offsetMs)) return fromDate(ms); // at the ends of a Date's range
  fields.offsetMs = offsetMs;
  fields.steady = slotHour[slot] === hour;
  if (fields.steady) {
    lastHour = hour;
    lastOffsetMs = offsetMs;
  }
  const local = ms + offsetMs;
  const day = Math.floor(local / DAY_MS);
  let inDay = local - day * DAY_MS;
  if (day !== cachedDay) civilDay(day);
  fields.year = dayYear;
  fields.month = dayMonth;
  fields.day = dayOfMonth;
  fields.weekday = (((day + 4) % 7) + 7) % 7; // 1970-01-01 was a Thursday
  fields.hours = Math.floor(inDay / HOUR_MS);
  inDay -= fields.hours * HOUR_MS;
  fields.minutes = Math.floor(inDay / 60_000);
  fields.seconds = Math.floor((inDay - fields.minutes * 60_000) / 1000);
  return fields;
}

function fromDate(ms: number): LocalFields {
  const d = new Date(ms);
  if (Number.isNaN(d.getTime())) return beyondDate(ms);
  fields.year = d.getFullYear();
  fields.month = d.getMonth() + 1;
  fields.day = d.getDate();
  fields.weekday = d.getDay();
  fields.hours = d.getHours();
  fields.minutes = d.getMinutes();
  fields.seconds = d.getSeconds();
  fields.offsetMinutes = -d.getTimezoneOffset();
  fields.offsetMs = NaN;
  fields.steady = false;
  return fields;
}

/**
 * A time no Date can hold (wtmpdb's 64-bit microseconds reach the year
 * 294247; localtime still prints it): the calendar by arithmetic, at the
 * offset of the nearest time a Date can hold.
 */
function beyondDate(ms: number): LocalFields {
  const nearest = ms > 0 ? 8.64e15 : -8.64e15;
  const offsetMs = offsetAt(nearest);
  fields.offsetMinutes = -new Date(nearest).getTimezoneOffset();
  fields.offsetMs = NaN;
  fields.steady = false;
  const local = ms + offsetMs;
  const day = Math.floor(local / DAY_MS);
  const inDay = local - day * DAY_MS;
  civilDay(day);
  [fields.year, fields.month, fields.day] = [dayYear, dayMonth, dayOfMonth];
  fields.weekday = (((day + 4) % 7) + 7) % 7;
  fields.hours = Math.floor(inDay / HOUR_MS);
  fields.minutes = Math.floor((inDay % HOUR_MS) / 60_000);
  fields.seconds = Math.floor((inDay % 60_000) / 1000);
  return fields;
}

// Days since 1970-01-01 to a proleptic Gregorian date (H. Hinnant's civil_from_days).
function civilDay(days: number): void {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  dayOfMonth = doy - Math.floor((153 * mp + 2) / 5) + 1;
  dayMonth = mp < 10 ? mp + 3 : mp - 9;
  dayYear = yoe + era * 400 + (dayMonth <= 2 ? 1 : 0);
  cachedDay = days;
}
