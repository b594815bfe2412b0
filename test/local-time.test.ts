/**
 * The CLI formats times from numbers (lib/cli/local-time.ts: a zone offset
 * per hour, then arithmetic) instead of a Date each. Its stamps must be
 * what Date's own local getters give, in zones with daylight saving time,
 * half-hour and 45-minute offsets, and the local mean times of old years
 * (offsets in seconds): each zone in a process of its own, as TZ is read once.
 */
import { execFileSync } from 'child_process';
import * as path from 'path';

const OUTPUT = path.resolve(__dirname, '../dist/cli/time-format.js');

// Run in the child: our stamps against ones built from Date's getters, for random and for consecutive times.
const CHECK = `
const o = require(process.argv[1]);
const p2 = (n) => String(n).padStart(2, '0');
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
function expected(ms) {
  const d = new Date(ms);
  const off = -d.getTimezoneOffset();
  const a = Math.abs(off);
  const clock = p2(d.getHours()) + ':' + p2(d.getMinutes());
  const stamp = DAYS[d.getDay()] + ' ' + MONTHS[d.getMonth()] + ' ' + String(d.getDate()).padStart(2) + ' ' + clock;
  const iso = d.getFullYear() + '-' + p2(d.getMonth() + 1) + '-' + p2(d.getDate()) + 'T' + clock + ':' + p2(d.getSeconds()) +
    (off < 0 ? '-' : '+') + p2(Math.floor(a / 60)) + ':' + p2(a % 60);
  return [clock, stamp, iso, stamp + ':' + p2(d.getSeconds()) + ' ' + d.getFullYear()].join('|');
}
const ours = (ms) => [o.clock(ms), o.lastStamp(ms), o.isoLocal(ms), o.ctimeStamp(ms)].join('|');
let seed = 3;
const rand = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
const times = [];
for (let i = 0; i < 20000; i++) times.push(Math.floor((rand() - 0.5) * 2 * (i % 2 ? 8.64e15 : 4e12)));
for (const start of [Date.UTC(2024, 2, 30, 20), Date.UTC(2024, 9, 26, 20), Date.UTC(1900, 0, 1), Date.UTC(1937, 5, 30, 20), Date.parse('0050-06-01T00:00:00Z')]) {
  for (let ms = start; ms < start + 2 * 86400000; ms += 1000 + Math.floor(rand() * 40000)) times.push(ms, ms - 3 * 3600000);
}
const wrong = times.filter((ms) => ours(ms) !== expected(ms)).slice(0, 5).map((ms) => [ms, ours(ms), expected(ms)]);
console.log(JSON.stringify({ checked: times.length, wrong }));
`;

test.each(['UTC', 'Europe/Paris', 'America/New_York', 'Australia/Lord_Howe', 'Asia/Kolkata', 'Asia/Kathmandu', 'Africa/Monrovia', 'America/St_Johns'])(
  'times in %s are what Date says',
  (tz) => {
    const out = execFileSync(process.execPath, ['-e', CHECK, OUTPUT], { env: { ...process.env, TZ: tz } }).toString();
    const r = JSON.parse(out) as { checked: number; wrong: unknown[] };
    expect(r.wrong).toEqual([]);
    expect(r.checked).toBeGreaterThan(20000);
  },
);
