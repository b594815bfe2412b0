/**
 * This machine's accounts from /etc/passwd, parsed in one place: a row counts
 * only with a name and a uid of digits, and the first row of a name or uid
 * wins, as getpwnam and getpwuid do. Other NSS sources are not asked.
 */
import * as fs from 'fs';

/** The accounts in passwd(5) `text`: each name's uid, and each uid's first name. */
export function parsePasswdText(text: string): { byName: Map<string, number>; byUid: Map<number, string> } {
  const byName = new Map<string, number>();
  const byUid = new Map<number, string>();
  for (const row of text.split('\n')) {
    const [name, , uidText] = row.split(':');
    if (!name || uidText === undefined || !/^\d+$/.test(uidText)) continue;
    const uid = Number(uidText);
    if (!byName.has(name)) byName.set(name, uid);
    if (!byUid.has(uid)) byUid.set(uid, name);
  }
  return { byName, byUid };
}

/** The accounts of `file` (default /etc/passwd) when constructed; none where it cannot be read. */
export class Accounts {
  private readonly byName: Map<string, number>;
  private readonly byUid: Map<number, string>;

  constructor(file = '/etc/passwd') {
    let text = '';
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      // No user database: no names are known.
    }
    ({ byName: this.byName, byUid: this.byUid } = parsePasswdText(text));
  }

  uid(name: string): number | null {
    return this.byName.get(name) ?? null;
  }

  name(uid: number): string | null {
    return this.byUid.get(uid) ?? null;
  }
}
