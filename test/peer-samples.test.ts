/**
 * Files published by other projects (utmp-rs, plaso), read from
 * ../shared/peer-samples when it exists: the values their publishers give,
 * and utmpdump's reading of every 384-byte file.
 */
import * as fs from 'fs';
import * as path from 'path';
import { UtmpFile } from '../lib';
import { PEER_SAMPLES, expectMatchesUtmpdump, havePeerSamples, readWithUtmpdump } from './helpers/utmpdump';
import { testWith } from './helpers/tools';

const sample = (name: string) => path.join(PEER_SAMPLES, name);
const read = (name: string, source: 'libc' | 'decoder' = 'decoder') => {
  const f = new UtmpFile(sample(name), { source });
  return { entries: f.toArray(), file: f };
};
const peer = havePeerSamples ? describe : describe.skip;

peer('peer samples', () => {
  test('utmp-rs basic32.utmp: the values utmp-rs asserts', () => {
    const { entries, file } = read('utmp-rs/basic32.utmp');
    expect(file.layout).toBe('glibc-384-le');
    expect(entries.map((e) => [e.ut_type, e.ut_pid, e.line, e.ut_user, e.ut_host, e.ut_time])).toEqual([
      ['BOOT_TIME', 0, '~', 'reboot', '5.3.0-29-generic', 1581199438.054727],
      ['RUN_LVL', 53, '~', 'runlevel', '5.3.0-29-generic', 1581199447.5589],
      ['USER_PROCESS', 2555, ':1', 'upsuper', ':1', 1581199675.609322],
      ['USER_PROCESS', 28885, 'tty3', 'upsuper', '', 1581217267.195722],
      ['LOGIN_PROCESS', 28965, expect.any(String), expect.any(String), expect.any(String), 1581217268.463588],
    ]);
    expect(entries[3].ut_session).toBe(28786);
  });

  test('utmp-rs basic64.utmp (aarch64, 400 bytes): the values utmp-rs asserts', () => {
    const { entries, file } = read('utmp-rs/basic64.utmp');
    expect(file.layout).toBe('glibc-400-le');
    expect(entries.map((e) => [e.ut_type, e.ut_pid, e.ut_host, e.ut_time])).toEqual([
      ['BOOT_TIME', 0, '5.15.0-41-generic', 1658083371.314869],
      ['RUN_LVL', expect.any(Number), '5.15.0-41-generic', 1658083400.855073],
      ['LOGIN_PROCESS', 1219, '', 1658083400.866391],
    ]);
  });

  test('utmp-rs empty.utmp: no entries, no warnings', () => {
    const { entries, file } = read('utmp-rs/empty.utmp');
    expect(entries).toEqual([]);
    expect(file.warnings).toEqual([]);
  });

  test('utmp-rs long_user_32.utmp: 32-byte user names with no NUL are bounded by the field', () => {
    const { entries } = read('utmp-rs/long_user_32.utmp');
    const raw = fs.readFileSync(sample('utmp-rs/long_user_32.utmp'));
    expect(entries).toHaveLength(18);
    let full = 0;
    entries.forEach((e, i) => {
      const field = raw.subarray(i * 384 + 44, i * 384 + 76);
      if (!field.includes(0)) {
        full++;
        expect(Buffer.byteLength(e.ut_user)).toBe(32);
        expect(e.ut_user).toBe(field.toString('utf8'));
      }
      expect(Buffer.byteLength(e.ut_user)).toBeLessThanOrEqual(32);
    });
    expect(full).toBeGreaterThan(0);
  });

  test('utmp-rs with_host_32.utmp: junk after the NUL in ut_line is ignored', () => {
    const { entries } = read('utmp-rs/with_host_32.utmp');
    const raw = fs.readFileSync(sample('utmp-rs/with_host_32.utmp'));
    expect(entries).toHaveLength(19);
    let junk = 0;
    entries.forEach((e, i) => {
      const field = raw.subarray(i * 384 + 8, i * 384 + 40);
      const nul = field.indexOf(0);
      if (nul >= 0 && field.subarray(nul).some((b) => b !== 0)) junk++;
      expect(e.line).toBe(field.subarray(0, nul < 0 ? 32 : nul).toString('utf8'));
    });
    expect(junk).toBeGreaterThan(0);
  });

  testWith('utmpdump').each([
    'utmp-rs/basic32.utmp', 'utmp-rs/long_user_32.utmp', 'utmp-rs/with_host_32.utmp',
    'plaso/utmp', 'plaso/utmp_x86_64', 'plaso/wtmp.1', 'plaso/utmp_corrupted',
  ])('%s: both readers match utmpdump field by field and each other', (name) => {
    const oracle = readWithUtmpdump(sample(name));
    const decoded = read(name, 'decoder').entries;
    expectMatchesUtmpdump(decoded, oracle);
    expect(decoded).toEqual(read(name, 'libc').entries);
  });

  test('plaso x86_64, aarch64 and s390x (big-endian) files hold the same session records', () => {
    const shape = (name: string) => read(name).entries.map((e) => [e.ut_type, e.line, e.ut_user, e.ut_host, e.ut_id]);
    const x86 = read('plaso/utmp_x86_64');
    const arm = read('plaso/utmp_aarch64');
    const s390 = read('plaso/utmp_s390');
    expect([x86.file.layout, arm.file.layout, s390.file.layout]).toEqual(['glibc-384-le', 'glibc-400-le', 'glibc-400-be']);
    expect(x86.entries).toHaveLength(6);
    expect(shape('plaso/utmp_aarch64')).toEqual(shape('plaso/utmp_x86_64'));
    expect(shape('plaso/utmp_s390')).toEqual(shape('plaso/utmp_x86_64'));
    // Big-endian numbers decode to sane values, not byte-swapped ones.
    for (const e of s390.entries) {
      expect(e.ut_pid).toBeLessThan(1 << 22);
      expect(e.ut_time).toBeGreaterThan(1e9);
      expect(e.ut_time).toBeLessThan(2 ** 32);
    }
  });

  test('plaso utmpx_mac: macOS utmpx32 with its signature record', () => {
    const { entries, file } = read('plaso/utmpx_mac');
    expect(file.layout).toBe('macos-628-le');
    expect(entries).toHaveLength(7);
    expect(entries[0]).toMatchObject({ ut_type: 'SIGNATURE', ut_user: 'utmpx-1.00' });
    expect(entries[1]).toMatchObject({ ut_type: 'BOOT_TIME', ut_pid: 1, ut_time: 1384365154 });
    expect(entries[2]).toMatchObject({ ut_type: 'USER_PROCESS', ut_user: 'moxilo', ut_line: '/dev/console', ut_pid: 67 });
    // macOS has no exit status, session or address.
    expect(entries[2]).not.toHaveProperty('ut_session');
    expect(entries[2]).not.toHaveProperty('ut_exit');
    expect(entries[2]).not.toHaveProperty('ut_addr');
  });

  test('plaso utmp_corrupted: good records around two unknown types and a torn tail come back', () => {
    const { entries, file } = read('plaso/utmp_corrupted');
    expect(entries.map((e) => e.ut_type)).toEqual(['USER_PROCESS', 'UNKNOWN', 'UNKNOWN', 'USER_PROCESS']);
    expect(entries[1].ut_type_code).toBe(99);
    expect(entries[0].ut_user).toBe('alice');
    expect(entries[3]).toMatchObject({ ut_user: 'bob', address: '10.0.0.5' });
    expect(file.warnings.map((w) => w.code)).toEqual(['UNKNOWN_TYPE', 'UNKNOWN_TYPE', 'TRAILING_BYTES']);
    expect(file.trailingBytes).toBe(50);
  });

  test('plaso wtmp.1: two all-zero records and a stray byte are reported, the rest decoded', () => {
    const { entries, file } = read('plaso/wtmp.1');
    expect(entries).toHaveLength(4);
    expect(entries[0]).toMatchObject({ ut_type: 'USER_PROCESS', ut_user: 'userA', address: '10.10.122.1' });
    expect(file.warnings.map((w) => w.code)).toEqual(['ZERO_RECORD', 'ZERO_RECORD', 'TRAILING_BYTES']);
    expect(file.trailingBytes).toBe(1);
  });
});
