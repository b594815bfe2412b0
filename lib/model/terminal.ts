/**
 * Text that came from a record (btmp user names come from whoever reached
 * sshd) is escaped before it reaches a terminal: control characters, escape
 * sequences and invisible format characters are shown as \xNN / \u{NNNN}.
 */
// C0 and C1 controls, DEL, and bidi / zero-width format characters.
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff\\]/gu;

/** Whether `s` holds a character UNSAFE matches (a loop over char codes: most strings hold none, and a regex costs more). */
function hasUnsafe(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x5c || (c >= 0x7f && c <= 0x9f)) return true;
    if (c >= 0x200b && ((c <= 0x200f) || (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069) || c === 0xfeff)) return true;
  }
  return false;
}

/** `s` with every unsafe character escaped; a backslash becomes `\\` so escapes are unambiguous. */
export function escapeForTerminal(s: string): string {
  if (!hasUnsafe(s)) return s;
  return s.replace(UNSAFE, (c) => {
    if (c === '\\') return '\\\\';
    const code = c.codePointAt(0)!;
    return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`;
  });
}
