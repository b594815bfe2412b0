/**
 * Text that came from a record (btmp user names come from whoever reached
 * sshd) is escaped before it reaches a terminal: control characters, escape
 * sequences and invisible format characters are shown as \xNN / \u{NNNN}.
 */
// C0 and C1 controls, DEL, and bidi / zero-width format characters.
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff\\]/gu;

/** `s` with every unsafe character escaped; a backslash becomes `\\` so escapes are unambiguous. */
export function escapeForTerminal(s: string): string {
  return s.replace(UNSAFE, (c) => {
    if (c === '\\') return '\\\\';
    const code = c.codePointAt(0)!;
    return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`;
  });
}
