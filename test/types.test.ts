/**
 * What the types promise: ut_type, ut_type_code, ut_pid and ut_id are on
 * every supported platform, so ported pyutmp code needs no `!` (checked by
 * `npm run typecheck`, which compiles this file); and every reader does give
 * them, on every layout the decoder knows (checked at run time).
 */
import * as fs from 'fs';
import * as path from 'path';
import { UtmpFile, type UtmpEntry, type UtmpType, type WatchLogin } from '../lib';
import { PEER_SAMPLES, tempDir, writeWithUtmpdump } from './helpers/utmpdump';

// Compiles only while these fields are required (no `undefined` in their types).
function requiredFields(u: UtmpEntry): [UtmpType, number, number, string] {
  return [u.ut_type, u.ut_type_code, u.ut_pid + 0, u.ut_id.trim()];
}

// WatchLogin is derived from WatchEvent: its shape stays the one it was declared with.
type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false;
interface DeclaredWatchLogin {
  time: Date;
  user: string;
  line: string;
  host: string;
  address: string | null;
  pid?: number;
  sessionId?: string;
}
const watchLoginShape: Same<WatchLogin, DeclaredWatchLogin> = true;
void watchLoginShape;

function sampleFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = path.join(dir, d.name);
    if (d.isDirectory()) return sampleFiles(p);
    return /readme|\.md$/i.test(d.name) ? [] : [p];
  });
}

test('every entry of a utmpdump-written file and of every peer sample has type, type code, pid and id', () => {
  const tmp = tempDir();
  const written = writeWithUtmpdump(path.join(tmp.dir, 'wtmp'), [
    { type: 2, pid: 0, id: '~~', user: 'reboot', line: '~', host: '6.1.0', addr: '0.0.0.0', time: '2024-01-15T09:00:00,000000+00:00' },
    { type: 7, pid: 4242, id: 'ts/1', user: 'alice', line: 'pts/1', host: '10.0.0.5', addr: '10.0.0.5', time: '2024-01-15T09:30:00,123456+00:00' },
  ]);
  const files = [written, ...sampleFiles(PEER_SAMPLES)];
  let seen = 0;
  for (const file of files) {
    let entries: UtmpEntry[];
    try {
      entries = new UtmpFile(file, { source: 'decoder', onWarning: () => {} }).toArray();
    } catch {
      continue; // not a record file the decoder recognises
    }
    for (const u of entries) {
      const [type, code, pid, id] = requiredFields(u);
      expect(typeof type).toBe('string');
      expect(Number.isInteger(code)).toBe(true);
      expect(Number.isInteger(pid)).toBe(true);
      expect(typeof id).toBe('string');
      seen++;
    }
  }
  expect(seen).toBeGreaterThanOrEqual(2);
  tmp.cleanup();
});
